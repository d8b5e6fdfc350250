"""Synthetic data for cumulus: one simulated world, and the raw exports each source system delivers from it.

    from generator import ShopConfig, generate_shop_exports
    report = generate_shop_exports(store, date(2026, 11, 1), days=14, config=ShopConfig(seed=7))

or `python -m generator --lake PATH --start 2026-11-01 --days 14`.
"""

from generator.export import FileReport, GenerationReport
from generator.faults import MALFORMED_KINDS, FaultConfig
from generator.shop import (
    STATUS_CHANGE_WINDOW_DAYS,
    DayOrders,
    ShopConfig,
    ShopSimulator,
    generate_shop_exports,
)
from generator.world import Customers, Products, World, WorldConfig

__all__ = [
    "MALFORMED_KINDS",
    "STATUS_CHANGE_WINDOW_DAYS",
    "Customers",
    "DayOrders",
    "FaultConfig",
    "FileReport",
    "GenerationReport",
    "Products",
    "ShopConfig",
    "ShopSimulator",
    "World",
    "WorldConfig",
    "generate_shop_exports",
]
