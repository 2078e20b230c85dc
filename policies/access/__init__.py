"""The access model: who can do what to which resource, by IAM's evaluation of every policy in the stack.

Rules (policies/rules), matrix probes (controls/probes.py) and `glz audit` all read it through
``model_of(stack)``; docs/access-model.md says what it evaluates and what it reports instead of guessing.
"""

from policies.access.model import AccessModel, Decision, Path, model_of

__all__ = ["AccessModel", "Decision", "Path", "model_of"]
