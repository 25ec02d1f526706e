"""The HTTP routes, one module per area of the API; ``api.app`` registers them.

catalogue (a partner's courses), institutions, search (the public catalogue search and
autocomplete), harvest (a partner's feeds), ooapi (OOAPI v5, read-only), credentials
(issuing, status changes, reading, ``/verify``), issuers (DID documents, status lists, our
JSON-LD context), learners (tokens, a learner's own credentials, shares), pathways,
oid4vci (wallets) and web (the HTML pages). Each handler says who may call it
(``opt=access(...)``) and what its signature cannot tell the OpenAPI document
(``doc=Doc(...)``, ``api.openapi``); the work itself is the domain's.
"""
