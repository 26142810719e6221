"""Display names for values stored as codes (states, roles, risk levels, outcomes, signals).

`N_` only marks a message for the catalogue; templates translate with `tlabel(kind, code)`, so an unknown
code shows as itself instead of failing."""

from __future__ import annotations

from typing import Final


def N_(message: str) -> str:  # noqa: N802 - the gettext marker's conventional name
    return message


# The engine's standing notes, word for word (tests check they match `shouhou.evidence.verdict`), so the
# console can show them in the reader's language; any other note shows as the engine wrote it.
ENGINE_NOTES: Final = (
    N_(
        "No AI-provenance label was found. Labels are easily stripped (screenshots, re-saves, chat apps), "
        "so their absence is not evidence that the photo is authentic."
    ),
    N_(
        "No reference photo of the item was compared. Most forged claim photos are the shop's own photo with "
        "damage added, and only that comparison finds them, so a low risk here says little about such edits."
    ),
)


LABELS: Final[dict[str, dict[str, str]]] = {
    "claim_state": {
        "submitted": N_("Submitted"),
        "screening": N_("Screening"),
        "awaiting_merchant": N_("Awaiting merchant"),
        "in_review": N_("In review"),
        "awaiting_buyer": N_("Awaiting buyer"),
        "decided": N_("Decided"),
        "appealed": N_("Appealed"),
        "closed": N_("Closed"),
        "withdrawn": N_("Withdrawn"),
    },
    "claim_kind": {"refund_only": N_("Refund only"), "return_and_refund": N_("Return and refund")},
    "outcome": {
        "refund_only": N_("Refund"),
        "return_and_refund": N_("Return and refund"),
        "partial_refund": N_("Partial refund"),
        "rejected": N_("Rejected"),
    },
    "deadline": {
        "merchant_response": N_("Merchant response due"),
        "review_sla": N_("Review due"),
        "buyer_evidence": N_("Buyer evidence due"),
        "appeal_window": N_("Appeal window closes"),
    },
    "risk": {
        "none": N_("No risk found"),
        "low": N_("Low risk"),
        "medium": N_("Medium risk"),
        "high": N_("High risk"),
    },
    "role": {
        "buyer": N_("Buyer"),
        "merchant": N_("Merchant"),
        "reviewer": N_("Reviewer"),
        "admin": N_("Admin"),
        "agent": N_("Agent"),
        "technician": N_("Technician"),
        "supervisor": N_("Supervisor"),
    },
    "repair_state": {
        "received": N_("Received"),
        "uncovered": N_("Uncovered"),
        "dispatched": N_("Dispatched"),
        "accepted": N_("Accepted"),
        "en_route": N_("En route"),
        "on_site": N_("On site"),
        "waiting": N_("Waiting"),
        "completed": N_("Completed"),
        "rated": N_("Rated"),
        "closed": N_("Closed"),
        "cancelled": N_("Cancelled"),
        "reopened": N_("Reopened"),
    },
    "priority": {"normal": N_("Normal"), "emergency": N_("Emergency (green channel)")},
    "service": {
        "repair": N_("Repair"),
        "installation": N_("Installation"),
        "maintenance": N_("Maintenance"),
        "cleaning": N_("Cleaning"),
    },
    "signal": {
        "provenance": N_("AI provenance labels"),
        "watermark": N_("Invisible watermark"),
        "reference": N_("Derived from the merchant's photo"),
        "reuse": N_("Photo used before"),
        "forensics": N_("Local-edit forensics"),
        "capture": N_("Capture plausibility"),
        "learned": N_("Learned detector"),
    },
}


def label_code(kind: str, code: object) -> str:
    """The English message id for a code (to be translated by the caller), or the code itself."""
    text = str(getattr(code, "value", code))
    return LABELS.get(kind, {}).get(text, text)
