"""The expense settlement: planned against actual per category and channel, explained,
verified and settled by finance, signed off by management; expenses with their evidence."""
