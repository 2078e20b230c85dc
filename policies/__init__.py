"""Policy as code: one set of rules for `pulumi preview --policy-pack policies` and `glz check`."""
