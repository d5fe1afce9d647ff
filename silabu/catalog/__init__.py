"""Catalogue: output codes (RKA/DIPA), working-day calendar, Perjanjian Kinerja indicators."""
