"""LinkedIn's "Add to profile" URL for a certification.

LinkedIn documents one URL for it (``/profile/add?startTask=CERTIFICATION_NAME``) with
the fields prefilled from query parameters: ``name``, ``organizationName`` (or
``organizationId``, a LinkedIn company id; the partners' ids are not ours to know, so
the name is given), ``issueYear``/``issueMonth``, ``expirationYear``/``expirationMonth``,
``certUrl`` and ``certId``. ``certUrl`` is a share link, which stays verifiable until the
learner deletes it.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

__all__ = ["ADD_URL", "linkedin_url"]

ADD_URL = "https://www.linkedin.com/profile/add"


def linkedin_url(*, name: str, organisation: str, issued: date, cert_url: str, cert_id: str,
                 expires: date | None = None) -> str:
    params = [("startTask", "CERTIFICATION_NAME"), ("name", name),
              ("organizationName", organisation), ("issueYear", str(issued.year)),
              ("issueMonth", str(issued.month))]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return f"{ADD_URL}?{urlencode(params)}"
