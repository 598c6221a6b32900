"""The risk side of the write path: risk records, group marks and credit facts.

Apart from :mod:`api.services.risk` (which reads trades) so that the trade linker can
write them without an import cycle."""
