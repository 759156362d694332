"""Stage 3, the event: what one request to Secoda carries, and its redaction.

``model`` holds the immutable event blocks, ``datasets`` the Dataset/Lineage
types extractors return, ``redact`` (with ``scrub``) removes secrets and caps
the size before anything is written.
"""
