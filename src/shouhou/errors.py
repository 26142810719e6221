"""The one error tree of shouhou; third-party errors are translated where they enter.

ShouhouError
├── InputError                  bad input from a user; CLI exit code 2, HTTP 4xx
│   ├── UnreadableImage         not an image, or corrupt beyond decoding   (also a SignalError)
│   │   └── TruncatedImage      the file ends before the image data does
│   ├── UnsupportedFormat       a real file of a format shouhou does not screen (also a SignalError)
│   ├── ExtensionMismatch       the file name says one format, the bytes another
│   ├── HostileImage            refused to protect the host
│   │   ├── FileTooLarge        over the configured byte limit
│   │   ├── DecompressionBomb   more pixels than the configured limit
│   │   └── MetadataTooLarge    metadata blocks over the configured limit
│   ├── UnreadableVideo         a packing video no decoder can read                          HTTP 422
│   ├── ValidationFailed        a request field is missing or wrong                          HTTP 422
│   ├── NotFound                no such object, or not one the caller may see                HTTP 404
│   ├── Conflict                the request clashes with the object's state                  HTTP 409
│   │   ├── IllegalTransition   the claim's state table has no such move
│   │   ├── RuleViolation       the move exists but a rule forbids it now (window passed, once only…)
│   │   └── IdempotencyMismatch an idempotency key reused for a different request
│   └── Forbidden               authenticated, but the role may not do this                   HTTP 403
│       └── Unauthenticated     no valid token                                               HTTP 401
├── SignalError                 a signal could not produce its output (recorded, others go on)
│   └── SignalInputMissing      a signal's declared need was not provided
├── DependencyUnavailable       an optional library or model is not installed; exit code 3
├── ConfigError                 settings are invalid
├── IndexUnreadable             the reuse index's store cannot be read
├── StorageError                the database or evidence store failed; HTTP 503
│   └── BlobCorrupt             an evidence file does not decrypt or does not match its hash
└── AuditTampered               the audit chain does not verify (shouhou audit verify exits 4)
"""

from __future__ import annotations


class ShouhouError(Exception):
    """Base of every error shouhou raises on purpose."""


class InputError(ShouhouError):
    """The input is bad; the message says what and why in one line."""


class SignalError(ShouhouError):
    """A signal failed on this item; the pipeline records it and runs the others."""


class SignalInputMissing(SignalError):
    """A signal's declared need (pixels, references, delivery time, index…) was not provided."""


class UnreadableImage(InputError, SignalError):
    """The bytes cannot be decoded as an image."""


class TruncatedImage(UnreadableImage):
    """The image data ends early (an interrupted upload or a damaged file)."""


class UnsupportedFormat(InputError, SignalError):
    """A file of a format shouhou does not screen."""


class ExtensionMismatch(InputError):
    """The file extension names a different format than the file's content."""


class HostileImage(InputError):
    """The file is refused to protect the host (size, pixel count, metadata volume)."""


class FileTooLarge(HostileImage):
    """The file has more bytes than allowed."""


class DecompressionBomb(HostileImage):
    """The image declares more pixels than allowed."""


class MetadataTooLarge(HostileImage):
    """The metadata blocks are larger than allowed."""


class DependencyUnavailable(ShouhouError):
    """An optional dependency or model file is missing."""


class ConfigError(ShouhouError):
    """Settings are invalid."""


class IndexUnreadable(ShouhouError):
    """The reuse index directory exists but its metadata store cannot be read."""


class UnreadableVideo(InputError):
    """A packing video that no decoder can read (or that has no frames)."""


class ValidationFailed(InputError):
    """A request field is missing, malformed or out of range."""


class NotFound(InputError):
    """No such object, or one the caller may not see (the two are indistinguishable on purpose)."""


class Conflict(InputError):
    """The request clashes with the current state of the object."""


class IllegalTransition(Conflict):
    """The state table has no transition from the claim's state to the requested one."""


class RuleViolation(Conflict):
    """The transition exists but a rule forbids it now: a window has passed, an appeal was used…"""


class IdempotencyMismatch(Conflict):
    """An idempotency key was reused with a different request body."""


class Forbidden(InputError):
    """The caller is known but their role may not do this."""


class Unauthenticated(Forbidden):
    """No token, or a token that is unknown or revoked."""


class StorageError(ShouhouError):
    """The database or the evidence store failed."""


class BlobCorrupt(StorageError):
    """A stored evidence file does not decrypt, or its plaintext does not match its name."""


class AuditTampered(ShouhouError):
    """The audit chain does not verify."""
