FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY catalogue ./catalogue
COPY credentials ./credentials
COPY web ./web
COPY schemas ./schemas
COPY migrations ./migrations
RUN pip install --no-cache-dir . && useradd --system academy
USER academy
ENV ACADEMY_HOST=0.0.0.0 ACADEMY_PORT=8000
EXPOSE 8000
CMD ["academy", "serve"]
