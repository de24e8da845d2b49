"""Published figures: the DREES APL and its classes, the ARS zonage, rounding as published."""
