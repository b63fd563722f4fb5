"""Lists as the unit of giving (SPEC 10.1): who a list is for, who keeps it, and the shared and
dependants' lists that members create beside their own."""
