"""Pulumi program: load validated settings, build the landing zone, export its outputs."""

import pulumi

from components.config_source import load_settings
from components.landing_zone import LandingZone

zone = LandingZone(load_settings(), pulumi.get_stack())
for key, value in zone.outputs().items():
    pulumi.export(key, value)
