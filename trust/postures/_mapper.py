"""Map trust-verification results to postures and the constraints that come with them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from trust import _validators as check
from trust._errors import InvalidTypeError
from trust._exact import exact_str
from trust.postures._posture import TrustPosture
from trust.postures._words import WordMatcher

DEFAULT_SENSITIVE_CAPABILITIES = (
    "delete",
    "modify_config",
    "execute_code",
    "external_api",
    "financial_transaction",
)
DEFAULT_HIGH_RISK_TOOLS = (
    "bash_command",
    "delete_file",
    "write_file",
    "http_post",
    "http_put",
    "http_delete",
)
_HIGH_TRUST = frozenset({"high", "full"})
_NORMAL_OR_HIGHER = frozenset({"normal", "high", "full"})
_LOW_TRUST = frozenset({"none", "low"})


def _names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidTypeError(f"expected a list of names, got {check.shown(value)}")
    return tuple(check.text(item, "name") for item in value)


def _as_list(names: tuple[str, ...] | None) -> list[str] | None:
    return list(names) if names is not None else None


def _metadata(value: object) -> Mapping[str, Any]:
    return check.frozen_mapping(value, "metadata")


def _verification_details(value: object) -> Mapping[str, Any]:
    return check.frozen_mapping(value, "verification_details")


def _posture(value: object) -> TrustPosture:
    return TrustPosture.coerce(value, "posture")


@attrs.frozen(kw_only=True)
class PostureConstraints:
    """The obligations that come with a posture."""

    audit_required: bool = False
    approval_required: bool = False
    log_level: str = "info"
    allowed_capabilities: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    blocked_capabilities: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    max_actions_before_review: int | None = None
    require_human_approval_for: tuple[str, ...] | None = attrs.field(default=None, converter=_names)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_metadata)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "audit_required": self.audit_required,
            "approval_required": self.approval_required,
            "log_level": self.log_level,
            "allowed_capabilities": _as_list(self.allowed_capabilities),
            "blocked_capabilities": _as_list(self.blocked_capabilities),
            "max_actions_before_review": self.max_actions_before_review,
            "require_human_approval_for": _as_list(self.require_human_approval_for),
            "metadata": dict(self.metadata),
        }


@attrs.frozen(kw_only=True)
class PostureResult:
    """A posture decided for a verification result, with its constraints and reason."""

    posture: TrustPosture = attrs.field(converter=_posture)
    constraints: PostureConstraints = attrs.field(factory=PostureConstraints)
    reason: str = ""
    verification_details: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_verification_details
    )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "posture": self.posture.value,
            "constraints": self.constraints.to_dict(),
            "reason": self.reason,
            "verification_details": dict(self.verification_details),
        }


class TrustPostureMapper:
    """Decides a posture from a trust-verification result.

    Fail-closed rules: only ``valid is True`` counts as valid (a truthy string does not);
    a requested capability or tool matches a listed name by word sequence
    (`trust.postures._words`): ``"delete"`` catches ``"delete_records"`` and
    ``"http_delete_request"``, never ``"undelete_preview"``, and a name that cannot be
    read (not a string, too long, control characters, look-alike letters) is BLOCKED; a
    sensitive or high-risk match gives SUPERVISED, or the default posture if that is
    lower: the rule never raises autonomy; a restrictive flag (``approval_required``,
    ``human_in_loop``, ``audit_required``) applies when it is truthy, while a permissive
    one (``trust_level``) must be one of the known words.
    """

    def __init__(
        self,
        default_posture: TrustPosture = TrustPosture.SUPERVISED,
        sensitive_capabilities: Iterable[str] | None = None,
        high_risk_tools: Iterable[str] | None = None,
    ) -> None:
        self._default = TrustPosture.coerce(default_posture, "default_posture")
        self._sensitive = _matcher(
            sensitive_capabilities, DEFAULT_SENSITIVE_CAPABILITIES, "sensitive_capabilities"
        )
        self._high_risk = _matcher(high_risk_tools, DEFAULT_HIGH_RISK_TOOLS, "high_risk_tools")

    def map_verification_result(
        self,
        verification_result: Any,
        requested_capability: str | None = None,
        requested_tool: str | None = None,
    ) -> PostureResult:
        """The posture for a verification result (any object with ``valid``, ``reason``,
        ``constraints``); BLOCKED when it is missing, invalid or malformed."""
        if verification_result is None:
            return PostureResult(
                posture=TrustPosture.BLOCKED, reason="No verification result provided"
            )
        details = _details(verification_result)
        if getattr(verification_result, "valid", False) is not True:
            reason = getattr(verification_result, "reason", None)
            return PostureResult(
                posture=TrustPosture.BLOCKED,
                reason=reason if isinstance(reason, str) and reason else "Verification failed",
                verification_details=details,
            )
        constraints = getattr(verification_result, "constraints", None)
        if constraints is None:
            constraints = {}
        if not isinstance(constraints, Mapping):
            return PostureResult(
                posture=TrustPosture.BLOCKED,
                reason=f"constraints must be a mapping, got {check.shown(constraints)}",
                verification_details=details,
            )
        unreadable = _unreadable(
            (requested_capability, self._sensitive, "requested_capability"),
            (requested_tool, self._high_risk, "requested_tool"),
        )
        if unreadable is not None:
            return PostureResult(
                posture=TrustPosture.BLOCKED, reason=unreadable, verification_details=details
            )
        audit_required = bool(constraints.get("audit_required", False))
        approval_required = bool(constraints.get("approval_required", False))
        human_in_loop = bool(constraints.get("human_in_loop", False))
        # The exact copy: a str subclass could hash or compare as a trusted word.
        trust_level = exact_str(constraints.get("trust_level", "normal"))
        is_sensitive = requested_capability is not None and self._sensitive.matches(
            requested_capability
        )
        is_high_risk = requested_tool is not None and self._high_risk.matches(requested_tool)

        if approval_required or human_in_loop:
            posture, reason = TrustPosture.HUMAN_DECIDES, "Human approval required"
        elif is_sensitive or is_high_risk:
            # Never above the default: a sensitive action gets less autonomy, not more.
            posture = min(TrustPosture.SUPERVISED, self._default)
            reason = "Sensitive capability or high-risk tool"
            audit_required = True
        elif audit_required:
            if trust_level in _NORMAL_OR_HIGHER:
                posture, reason = TrustPosture.ASSISTED, "Assisted mode with audit logging"
            else:
                posture, reason = TrustPosture.SUPERVISED, "Audit logging required"
        elif trust_level in _HIGH_TRUST:
            posture, reason = TrustPosture.FULL_AUTONOMY, "High trust level"
        else:
            posture, reason = self._default, f"Default posture ({self._default.value})"

        return PostureResult(
            posture=posture,
            constraints=PostureConstraints(
                audit_required=audit_required,
                approval_required=approval_required,
                log_level="warning" if is_sensitive else "info",
                require_human_approval_for=self._sensitive.names if is_sensitive else None,
                metadata=constraints,
            ),
            reason=reason,
            verification_details=details,
        )

    def map_to_posture(
        self,
        is_valid: bool,
        trust_level: str = "normal",
        audit_required: bool = False,
        approval_required: bool = False,
        reason: str = "",
    ) -> PostureResult:
        """The posture for plain flags; BLOCKED unless ``is_valid is True``."""
        if is_valid is not True:
            return PostureResult(posture=TrustPosture.BLOCKED, reason=reason or "Access denied")
        if approval_required:
            return PostureResult(
                posture=TrustPosture.HUMAN_DECIDES,
                constraints=PostureConstraints(approval_required=True, audit_required=True),
                reason=reason or "Human approval required",
            )
        if trust_level in _LOW_TRUST:
            return PostureResult(
                posture=TrustPosture.SUPERVISED,
                constraints=PostureConstraints(audit_required=True),
                reason=reason or "Low trust level requires supervision",
            )
        if audit_required:
            if trust_level in _NORMAL_OR_HIGHER:
                return PostureResult(
                    posture=TrustPosture.ASSISTED,
                    constraints=PostureConstraints(audit_required=True),
                    reason=reason or "Assisted mode with audit logging",
                )
            return PostureResult(
                posture=TrustPosture.SUPERVISED,
                constraints=PostureConstraints(audit_required=True),
                reason=reason or "Audit logging required",
            )
        if trust_level in _HIGH_TRUST:
            return PostureResult(
                posture=TrustPosture.FULL_AUTONOMY, reason=reason or "High trust level"
            )
        return PostureResult(
            posture=self._default,
            reason=reason or f"Default posture ({self._default.value})",
        )


def _matcher(names: Iterable[str] | None, default: tuple[str, ...], field: str) -> WordMatcher:
    chosen = _names(names if names is not None else default) or ()
    # Exact copies: a str subclass could split or lower-case itself as it likes.
    return WordMatcher((str.__str__(name) for name in chosen), field)


def _unreadable(*requested: tuple[object, WordMatcher, str]) -> str | None:
    for name, matcher, field in requested:
        if name is not None:
            refusal = matcher.refusal(name, field)
            if refusal is not None:
                return refusal
    return None


def _details(verification_result: Any) -> dict[str, Any]:
    return {
        name: getattr(verification_result, name)
        for name in ("agent_id", "action", "trust_chain_id", "timestamp", "constraints")
        if hasattr(verification_result, name)
    }


_DEFAULT_MAPPER = TrustPostureMapper()


def map_verification_to_posture(
    verification_result: Any,
    capability: str | None = None,
    tool: str | None = None,
) -> PostureResult:
    """The posture a default `TrustPostureMapper` gives a verification result.

    The same as ``TrustPostureMapper().map_verification_result(verification_result,
    capability, tool)``, as in kaizen.trust 1.2.5, with the mapper's fail-closed rules.
    """
    return _DEFAULT_MAPPER.map_verification_result(verification_result, capability, tool)


def get_posture_for_action(
    is_allowed: bool,
    requires_audit: bool = False,
    requires_approval: bool = False,
) -> TrustPosture:
    """A posture for an action from three flags, as kaizen.trust 1.2.5 gives it.

    BLOCKED unless ``is_allowed is True`` (a truthy string or 1 does not allow); then
    HUMAN_DECIDES if ``requires_approval`` is truthy, ASSISTED if ``requires_audit`` is,
    and FULL_AUTONOMY otherwise. A restrictive flag applies whenever it is truthy, or
    cannot tell (its ``__bool__`` raises).

    >>> get_posture_for_action(True, requires_audit=True)
    <TrustPosture.ASSISTED: 'assisted'>
    >>> get_posture_for_action("yes")
    <TrustPosture.BLOCKED: 'blocked'>
    """
    if is_allowed is not True:
        return TrustPosture.BLOCKED
    if _restrictive(requires_approval):
        return TrustPosture.HUMAN_DECIDES
    if _restrictive(requires_audit):
        return TrustPosture.ASSISTED
    return TrustPosture.FULL_AUTONOMY


def _restrictive(flag: object) -> bool:
    # Truthy applies; so does a flag whose __bool__ raises: it cannot say "not needed".
    if flag is None or flag is False:
        return False
    try:
        return bool(flag)
    except Exception:
        return True
