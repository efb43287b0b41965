"""Tests of the record stores: one contract for every implementation, plus durability."""
