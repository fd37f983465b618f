from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "twofold.policy"
    label = "policy"
    verbose_name = _("Policies")

    def ready(self) -> None:
        from twofold.policy.models import AuthenticationPolicy, MethodPolicy
        from twofold.policy.services import forget_policy_snapshot

        # Any policy edit clears the cached snapshot, on every node sharing the cache.
        for model in (AuthenticationPolicy, MethodPolicy):
            post_save.connect(forget_policy_snapshot, sender=model, dispatch_uid=f"policy-{model}")
            post_delete.connect(forget_policy_snapshot, sender=model, dispatch_uid=f"pold-{model}")
        for through in (AuthenticationPolicy.mfa_groups.through, MethodPolicy.groups.through):
            m2m_changed.connect(
                forget_policy_snapshot, sender=through, dispatch_uid=f"m2m-{through}"
            )
