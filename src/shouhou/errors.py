"""The one error tree of shouhou; third-party errors are translated where they enter.

ShouhouError
├── InputError                  bad input from a user; CLI exit code 2, HTTP 4xx
│   ├── UnreadableImage         not an image, or corrupt beyond decoding   (also a SignalError)
│   │   └── TruncatedImage      the file ends before the image data does
│   ├── UnsupportedFormat       a real file of a format shouhou does not screen (also a SignalError)
│   ├── ExtensionMismatch       the file name says one format, the bytes another
│   └── HostileImage            refused to protect the host
│       ├── FileTooLarge        over the configured byte limit
│       ├── DecompressionBomb   more pixels than the configured limit
│       └── MetadataTooLarge    metadata blocks over the configured limit
├── SignalError                 a signal could not produce its output (recorded, others go on)
│   └── SignalInputMissing      a signal's declared need was not provided
├── DependencyUnavailable       an optional library or model is not installed; exit code 3
└── ConfigError                 settings are invalid
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
