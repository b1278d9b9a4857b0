"""The campaign evaluation (stage 5): targets against actuals in the manuals' four
dimensions, channel contribution, per-goal analysis, and finalised frozen versions."""
