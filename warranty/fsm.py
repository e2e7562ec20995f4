"""django-fsm's optimistic lock for this project's state machines (tickets, payment applications)."""

from __future__ import annotations

from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


class ConcurrentTransitions(ConcurrentTransitionMixin):
    """``ConcurrentTransitionMixin`` (a save whose state changed since the load raises
    ``ConcurrentTransition``), with the model's state fields found once per class.

    The mixin looks for them among all the model's fields on every instance it loads, to remember the
    loaded state: about 40 checks per ticket, for each of the 25 rows of a queue page.
    """

    @property
    def state_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fsm_state_fields")
        if fields is None:
            fields = tuple(f for f in cls._meta.fields if isinstance(f, FSMFieldMixin))
            cls._fsm_state_fields = fields
        return fields
