"""The blueprints of the site: each area's package has a routes.py defining `bp`."""

from __future__ import annotations

from importlib import import_module

from webapp.areas import BLUEPRINT_PACKAGES, module_exists


def all_blueprints() -> list:
    blueprints = []
    for package in BLUEPRINT_PACKAGES:
        module_name = f"{__name__}.{package}.routes"
        if module_exists(module_name):
            blueprints.append(import_module(module_name).bp)
    return blueprints
