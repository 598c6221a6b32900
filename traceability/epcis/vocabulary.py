"""CBV 2.0 and GS1 Web Vocabulary terms used by EPCIS 2.0 JSON-LD.

JSON-LD lets a document write a standard value as a bare string
(``"shipping"``), as a Web URI (``https://ref.gs1.org/cbv/BizStep-shipping``),
as a CURIE (``cbv:BizStep-shipping``) or, inherited from EPCIS 1.x, as a URN
(``urn:epcglobal:cbv:bizstep:shipping``). ``expand_term`` turns all of them
into the Web URI, which is what the event hash and our queries compare.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = [
    "BIZ_STEPS",
    "BIZ_TRANSACTION_TYPES",
    "CBV",
    "COMPONENTS",
    "CONTEXT_PREFIXES",
    "DISPOSITIONS",
    "ERROR_REASONS",
    "GS1_VOC",
    "MEASUREMENT_TYPES",
    "SENSOR_ALERT_TYPES",
    "SOURCE_DESTINATION_TYPES",
    "STANDARD_PREFIXES",
    "Vocabulary",
    "cbv_urn_to_web",
    "expand_curie",
    "expand_term",
    "short_term",
]

CBV: Final = "https://ref.gs1.org/cbv/"
GS1_VOC: Final = "https://gs1.org/voc/"
EPCIS: Final = "https://ref.gs1.org/epcis/"

#: CURIE prefixes every EPCIS 2.0 document has through the standard context.
STANDARD_PREFIXES: Final = {"cbv": CBV, "gs1": GS1_VOC, "epcis": EPCIS}
#: Every namespace prefix the standard EPCIS 2.0 context declares (epcis-context.jsonld):
#: a document may use any of them for extension fields without declaring it again.
CONTEXT_PREFIXES: Final = {
    **STANDARD_PREFIXES,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}


def _words(text: str) -> frozenset[str]:
    """Term lists are written as space-separated words to keep them readable."""
    return frozenset(text.split())


BIZ_STEPS: Final = _words(
    "accepting arriving assembling collecting commissioning consigning creating_class_instance "
    "cycle_counting decommissioning departing destroying disassembling dispensing encoding "
    "entering_exiting holding inspecting installing killing loading other packing picking "
    "receiving removing repackaging repairing replacing reserving retail_selling sampling "
    "sensor_reporting shipping staging_outbound stock_taking stocking storing transporting "
    "unloading unpacking void_shipping"
)
DISPOSITIONS: Final = _words(
    "active available completeness_verified completeness_inferred conformant container_closed "
    "container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit "
    "inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement "
    "no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved "
    "retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable "
    "unknown"
)
BIZ_TRANSACTION_TYPES: Final = _words(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
SOURCE_DESTINATION_TYPES: Final = frozenset({"owning_party", "possessing_party", "location"})
ERROR_REASONS: Final = frozenset({"did_not_occur", "incorrect_data"})
COMPONENTS: Final = _words(
    "x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting "
    "northing latitude longitude altitude"
)
SENSOR_ALERT_TYPES: Final = frozenset({"ALARM_CONDITION", "ERROR_CONDITION"})
MEASUREMENT_TYPES: Final = _words(
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude "
    "AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum "
    "AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless "
    "DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent "
    "ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance "
    "Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux "
    "LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass "
    "MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy "
    "MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity "
    "Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension "
    "Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux "
    "Wavenumber"
)


class Vocabulary(Enum):
    """A closed CBV / GS1 vocabulary: its bare terms, Web URI prefix and old URN prefix."""

    BIZ_STEP = ("BizStep", BIZ_STEPS, f"{CBV}BizStep-", "urn:epcglobal:cbv:bizstep:")
    DISPOSITION = ("Disp", DISPOSITIONS, f"{CBV}Disp-", "urn:epcglobal:cbv:disp:")
    BIZ_TRANSACTION_TYPE = ("BTT", BIZ_TRANSACTION_TYPES, f"{CBV}BTT-", "urn:epcglobal:cbv:btt:")
    SOURCE_DESTINATION_TYPE = (
        "SDT",
        SOURCE_DESTINATION_TYPES,
        f"{CBV}SDT-",
        "urn:epcglobal:cbv:sdt:",
    )
    ERROR_REASON = ("ER", ERROR_REASONS, f"{CBV}ER-", "urn:epcglobal:cbv:er:")
    COMPONENT = ("Comp", COMPONENTS, f"{CBV}Comp-", "urn:epcglobal:cbv:comp:")
    MEASUREMENT_TYPE = ("MeasurementType", MEASUREMENT_TYPES, GS1_VOC, None)
    SENSOR_ALERT = ("SensorAlertType", SENSOR_ALERT_TYPES, GS1_VOC, None)

    def __init__(
        self, label: str, terms: frozenset[str], web_prefix: str, urn_prefix: str | None
    ) -> None:
        self.label = label
        self.terms = terms
        self.web_prefix = web_prefix
        self.urn_prefix = urn_prefix


#: Old CBV URN prefixes and their Web URI replacement (EPCIS 1.x documents).
_URN_TO_WEB: Final = tuple(
    (v.urn_prefix, v.web_prefix) for v in Vocabulary if v.urn_prefix is not None
)


def expand_curie(value: str, prefixes: dict[str, str] | None = None) -> str:
    """Expand ``prefix:local`` when ``prefix`` is a standard or declared CURIE prefix."""
    prefix, colon, local = value.partition(":")
    if not colon or local.startswith("//"):
        return value
    namespace = (prefixes or {}).get(prefix) or STANDARD_PREFIXES.get(prefix)
    return namespace + local if namespace else value


def cbv_urn_to_web(value: str) -> str:
    """``urn:epcglobal:cbv:bizstep:x`` → ``https://ref.gs1.org/cbv/BizStep-x``; others as is."""
    if value.startswith("urn:epcglobal:cbv:"):
        for urn_prefix, web_prefix in _URN_TO_WEB:
            if value.startswith(urn_prefix):
                return web_prefix + value[len(urn_prefix) :]
    return value


def expand_term(value: str, vocabulary: Vocabulary, prefixes: dict[str, str] | None = None) -> str:
    """Web URI of a vocabulary value given bare, as CURIE, URN or URI (non-CBV URIs kept)."""
    if value in vocabulary.terms:
        return vocabulary.web_prefix + value
    return cbv_urn_to_web(expand_curie(value, prefixes))


def short_term(uri: str, vocabulary: Vocabulary) -> str | None:
    """The bare term of a standard Web URI in ``vocabulary``, or None when it is not one."""
    expanded = expand_term(uri, vocabulary)
    if expanded.startswith(vocabulary.web_prefix):
        term = expanded[len(vocabulary.web_prefix) :]
        return term if term in vocabulary.terms else None
    return None
