"""The demo's world: product categories, industries, regions, names, competitors and the texts of
complaints and interactions, with the frequencies the generator draws them by."""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------------------
# Catalogue: categories with price level, margin, seasonality and product stems
# ---------------------------------------------------------------------------------------
# name, typical unit price, mean margin, seasonal amplitude, peak month, product stems, unit
_CATEGORIES: list[tuple[str, float, float, float, int, tuple[str, ...], tuple[str, ...]]] = [
    (
        "Premixes",
        45.0,
        0.30,
        0.12,
        11,
        (
            "Layer Premix",
            "Broiler Premix",
            "Pig Premix",
            "Dairy Premix",
            "Calf Premix",
            "Mineral Premix",
            "Vitamin Premix",
        ),
        ("25kg", "500kg", "1t"),
    ),
    (
        "Feed additives",
        80.0,
        0.38,
        0.10,
        10,
        ("Enzyme Blend", "Toxin Binder", "Acidifier", "Probiotic", "Amino Acid Mix", "Pellet Binder"),
        ("5kg", "25kg"),
    ),
    (
        "Animal health",
        120.0,
        0.45,
        0.30,
        3,
        ("Poultry Vaccine", "Swine Vaccine", "Dewormer", "Coccidiostat", "Antiseptic Spray"),
        ("100ml", "1000 doses", "5000 doses"),
    ),
    (
        "Diagnostics",
        210.0,
        0.42,
        0.08,
        5,
        ("ELISA Kit", "PCR Panel", "Rapid Test", "Mycotoxin Test", "Water Test Kit"),
        ("96 tests", "480 tests"),
    ),
    (
        "Cleaning & disinfection",
        18.0,
        0.33,
        0.25,
        7,
        ("Foam Cleaner", "Alkaline Detergent", "Peracetic Disinfectant", "Hand Sanitiser", "Surface Wipes", "CIP Acid"),
        ("5L", "20L", "200L"),
    ),
    (
        "Protective wear",
        9.0,
        0.22,
        0.15,
        1,
        ("Nitrile Gloves", "Coverall", "Face Mask FFP2", "Shoe Covers", "Hair Net"),
        ("box 100", "case 500"),
    ),
    (
        "Packaging",
        2.5,
        0.18,
        0.35,
        11,
        ("Paper Sack", "Stretch Film", "Big Bag", "Carton Box", "Pallet Label"),
        ("pack 50", "roll", "pack 200"),
    ),
    (
        "Lab consumables",
        14.0,
        0.40,
        0.05,
        9,
        ("Petri Dish", "Pipette Tips", "Sample Bag", "Reagent Bottle", "Swab Kit"),
        ("pack 100", "case 1000"),
    ),
    (
        "Water treatment",
        35.0,
        0.30,
        0.40,
        7,
        ("Chlorine Dioxide", "pH Corrector", "Scale Inhibitor", "Biofilm Remover"),
        ("25L", "IBC 1000L"),
    ),
    (
        "Technical service",
        650.0,
        0.26,
        0.20,
        4,
        ("Site Audit", "Equipment Calibration", "Dosing Pump Service", "Hygiene Training"),
        ("visit", "day"),
    ),
    (
        "Spare parts",
        95.0,
        0.48,
        0.10,
        2,
        ("Dosing Pump", "Nozzle Set", "Filter Cartridge", "Sensor Probe", "Valve Kit"),
        ("unit", "set"),
    ),
]
CATEGORY_NAMES = [c[0] for c in _CATEGORIES]

# planted affinities: pairs of categories bought together (index pairs into CATEGORY_NAMES)
_AFFINITY_PAIRS = [
    ("Premixes", "Feed additives"),
    ("Cleaning & disinfection", "Protective wear"),
    ("Diagnostics", "Lab consumables"),
    ("Water treatment", "Technical service"),
    ("Animal health", "Diagnostics"),
]
_AFFINITY_BOOST = 6.0  # weight multiplier for a partner category of one already bought

# industry -> category preference weights (same order as CATEGORY_NAMES) and name cores
_INDUSTRIES: dict[str, tuple[tuple[float, ...], tuple[str, ...]]] = {
    "Feed milling": ((8, 7, 1, 1.5, 1.5, 0.6, 3, 0.5, 0.8, 1, 1.5), ("Feed Mills", "Feeds", "Milling", "Nutrition")),
    "Poultry & livestock farming": (
        (3, 2, 6, 2.5, 3, 1.5, 0.8, 0.5, 2.5, 0.8, 0.8),
        ("Farms", "Poultry", "Livestock", "Agri"),
    ),
    "Food processing": ((0.2, 0.2, 0.2, 2, 6, 4, 4, 2, 2, 1.2, 1.5), ("Foods", "Meat", "Processing", "Dairy")),
    "Retail": ((0.3, 0.3, 0.8, 0.3, 4, 2.5, 6, 0.3, 0.3, 0.3, 0.3), ("Retail Group", "Stores", "Markets", "Trading")),
    "Hospitals": (
        (0, 0, 0.2, 3, 6, 6, 0.8, 4, 1.5, 1.2, 0.8),
        ("Hospital", "Health Care", "Clinics", "Medical Centre"),
    ),
    "Logistics": ((0.2, 0.2, 0.2, 0.2, 3, 3, 6, 0.2, 0.8, 1, 2.5), ("Logistics", "Transport", "Freight", "Cold Chain")),
    "Water utilities": ((0, 0, 0, 2.5, 1.5, 1.5, 0.3, 3, 7, 4, 3), ("Water", "Utilities", "Aqua", "Waterworks")),
    "Veterinary distribution": (
        (1.5, 2, 7, 4, 1.5, 1, 0.5, 1.5, 0.5, 0.3, 0.5),
        ("Vet Supply", "Animal Health", "Vet Distribution"),
    ),
}
_INDUSTRY_FREQ = np.array([0.2, 0.17, 0.15, 0.12, 0.1, 0.1, 0.06, 0.1])

_REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "North": (("SE", "AB"), ("NO", "AS"), ("DK", "A/S"), ("FI", "Oy")),
    "West": (("NL", "B.V."), ("BE", "NV"), ("FR", "SA"), ("GB", "Ltd")),
    "Central": (("DE", "GmbH"), ("AT", "GmbH"), ("PL", "Sp. z o.o."), ("CH", "AG")),
    "South": (("ES", "S.L."), ("IT", "S.p.A."), ("PT", "Lda")),
}
_NAME_PREFIXES = (
    "Nordic", "Baltic", "Alpine", "Atlantic", "Rhine", "Danube", "Iberian", "Northern", "Western", "Central",
    "Green Valley", "Riverside", "Highland", "Lakeside", "Meadow", "Summit", "Harbour", "Oakwood", "Silverline",
    "Bluewater", "Golden Field", "Eastgate", "Westfield", "Sunrise", "Evergreen", "Stonebridge", "Ashford",
    "Brookside", "Fjord", "Polder", "Heath", "Moorland", "Vista", "Pioneer", "Crown", "Unity", "Liberty", "Delta",
)  # fmt: skip
_CHANNELS = ("Direct", "Distributor", "Tender", "Online")
_CHANNEL_FREQ = np.array([0.55, 0.25, 0.12, 0.08])
_OWNERS = (
    "M. Berg", "A. Jansen", "L. Moreau", "K. Novak", "S. Rossi", "J. Fischer", "E. Lindqvist", "P. Santos",
    "H. de Vries", "C. Dubois", "T. Kowalski", "R. Ortega", "N. Virtanen", "B. Hansen", "F. Weber",
)  # fmt: skip
_FIRST = (
    "Anna", "Erik", "Sofia", "Lars", "Marta", "Jan", "Claire", "Pieter", "Giulia", "Tomasz", "Ingrid", "José",
    "Åsa", "Jürgen", "Zoë", "Mikko", "Léa", "Rui", "Hanna", "Karl", "Elena", "Oskar", "Nina", "Marco", "Sanne",
)  # fmt: skip
_LAST = (
    "Lind", "Jensen", "Müller", "Dubois", "Rossi", "Nowak", "Virtanen", "Santos", "de Jong", "Hansen",
    "García", "Weber", "Bakker", "Ferrari", "Kowalski", "Nilsson", "Martin", "Peeters", "Schmidt", "O'Connor",
)  # fmt: skip
_TITLES = {
    "decision_maker": (
        ("Managing Director", "executive"),
        ("Head of Purchasing", "senior"),
        ("Procurement Director", "executive"),
        ("Operations Director", "senior"),
    ),
    "influencer": (
        ("Quality Manager", "manager"),
        ("Production Manager", "manager"),
        ("Technical Director", "senior"),
        ("Nutritionist", "manager"),
    ),
    "user": (
        ("Plant Supervisor", "staff"),
        ("Lab Technician", "staff"),
        ("Warehouse Lead", "staff"),
        ("Hygiene Coordinator", "manager"),
    ),
    "gatekeeper": (("Buyer", "staff"), ("Purchasing Assistant", "staff"), ("Office Manager", "manager")),
}

# competitors: name, typical price gap vs us (negative = cheaper), aggressive?
_COMPETITORS: list[tuple[str, float, bool]] = [
    ("Vetro", -0.08, True),
    ("Brightwater Supply", -0.06, True),
    ("Kestrel Agro", 0.02, False),
    ("Halvorsen & Co", -0.01, False),
]
_COMPETITOR_FREQ = np.array([0.3, 0.2, 0.28, 0.22])

SEGMENTS = ("strategic_growing", "stable_core", "declining", "small_occasional", "new_growing")
_SEGMENT_FREQ = np.array([0.10, 0.38, 0.14, 0.24, 0.14])

_COMPLAINT_TEXT = {
    "Delivery": (
        "Late delivery of {cat}, {n} days behind schedule",
        "Partial delivery of {cat} order",
        "Wrong delivery address used",
    ),
    "Quality": (
        "Batch of {cat} out of specification",
        "Customer reports lumps/caking in {cat}",
        "Quality certificate missing for {cat} batch",
    ),
    "Invoicing": (
        "Invoice price does not match agreed price",
        "Duplicate invoice received",
        "Credit note for returned {cat} still missing",
    ),
    "Packaging": ("Damaged packaging on arrival", "Labels unreadable on {cat} pallets"),
    "Service": ("No response from customer service for {n} days", "Technician visit cancelled at short notice"),
}
_INTERACTION_NOTES = {
    "meeting": (
        "QBR: reviewed volumes and pricing",
        "Annual review, discussed next year's volumes",
        "Joint business planning session",
        "Presented new product range",
    ),
    "call": (
        "Follow-up on open order",
        "Discussed delivery schedule",
        "Price increase call",
        "Checked on open complaint",
    ),
    "email": ("Sent updated price list", "Shared product data sheets", "Confirmed order changes", "Sent proposal"),
    "visit": ("Site visit, toured production", "Technical visit with specialist", "Visited plant, met operations team"),
}
_LOSS_REASONS_OTHER = ("relationship", "quality", "timing", "no decision", "specification")
