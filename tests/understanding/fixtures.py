"""A fixed store of 43 active units, the sender factory and the clock the corpus is written against."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from recon.understanding import Context, SenderView, UnitIndex, UnitView, WorkItemView

STORE_TZ = ZoneInfo("America/Chicago")
# A Wednesday morning: "tomorrow" is Thu 12/4, "friday" 12/5, "monday" 12/8.
NOW = datetime(2025, 12, 3, 10, 15, tzinfo=STORE_TZ)


def _items(unit_id: str, *specs: tuple[str, str, str | None]) -> tuple[WorkItemView, ...]:
    return tuple(
        WorkItemView(id=f"{unit_id}-w{i}", name=name, status=status, vendor=vendor)
        for i, (name, status, vendor) in enumerate(specs, start=1)
    )


def make_unit(
    stock_number: str,
    vin: str,
    year: int,
    make: str,
    model: str,
    trim: str | None,
    color: str,
    stage: str,
    *,
    blocker: tuple[str, str] | None = None,
    work: tuple[tuple[str, str, str | None], ...] = (),
) -> UnitView:
    unit_id = f"u-{stock_number.lower()}"
    return UnitView(
        id=unit_id,
        stock_number=stock_number,
        vin=vin,
        year=year,
        make=make,
        model=model,
        trim=trim,
        exterior_color=color,
        stage=stage,
        blocker_kind=blocker[0] if blocker else None,
        blocker_note=blocker[1] if blocker else None,
        work_items=_items(unit_id, *work),
    )


OPEN = "open"
DONE = "done"

# Deliberate near-duplicates: three Silverados (two Summit White), two Explorers, two Equinoxes
# sharing their VIN's last 6, three F-150s, two Civics, two Corollas, stock 5521 and P5521,
# VIN endings 104522 / 104552, letter prefixes and suffixes (A3105, 4410B, P5521, T12045).
# fmt: off
STORE_UNITS: tuple[UnitView, ...] = (
    make_unit("2231", "1HGCV1F34KA104522", 2019, "Honda", "Accord", "Sport",
              "Platinum White Pearl", "mechanical",
              work=(("front brakes", OPEN, None), ("alignment", OPEN, None))),
    make_unit("2232", "4T1G11AK5LU318840", 2020, "Toyota", "Camry", "SE",
              "Celestial Silver Metallic", "detail"),
    make_unit("2240", "1FTEW1EP8JFA22071", 2018, "Ford", "F-150", "XLT",
              "Magnetic Gray Metallic", "mechanical", work=(("windshield", OPEN, None),)),
    make_unit("7710", "3GCUYDED5MG130118", 2021, "Chevrolet", "Silverado 1500", "LT",
              "Summit White", "sublet", work=(("door dent PDR", OPEN, "Dent Pros"),)),
    make_unit("7712", "1GCUYEED2KZ104552", 2019, "Chevrolet", "Silverado 1500", "LTZ",
              "Summit White", "inspection"),
    make_unit("7715", "3GCUYEED9NG211907", 2022, "Chevrolet", "Silverado 1500", "RST",
              "Black", "photos"),
    make_unit("A3105", "1FMCU0GD1HUA55210", 2017, "Ford", "Escape", "SE",
              "Lightning Blue Metallic", "detail"),
    make_unit("4410B", "1C4RJFBG0LC290334", 2020, "Jeep", "Grand Cherokee", "Limited",
              "Diamond Black Crystal Pearl", "mechanical", blocker=("parts", "water pump"),
              work=(("water pump", OPEN, None),)),
    make_unit("5521", "1N4AL3AP7GN377021", 2016, "Nissan", "Altima", "2.5 S",
              "Super Black", "frontline"),
    make_unit("P5521", "5N1BT3BA6PC801146", 2023, "Nissan", "Rogue", "SV",
              "Glacier White", "intake"),
    make_unit("3050", "3TMLU4EN2FM190448", 2015, "Toyota", "Tacoma", "SR5",
              "Cement Gray Metallic", "sublet", work=(("bedliner spray", OPEN, "Line-X"),)),
    make_unit("3051", "2T3P1RFV0MW160257", 2021, "Toyota", "RAV4", "XLE",
              "Blueprint", "inspection"),
    make_unit("3060", "2HKRW2H53JH612880", 2018, "Honda", "CR-V", "EX",
              "Crystal Black Pearl", "photos"),
    make_unit("3077", "KM8J33A45LU155309", 2020, "Hyundai", "Tucson", "SEL",
              "Dazzling White", "mechanical",
              blocker=("approval", "timing cover reseal $1,850"),
              work=(("timing cover reseal", OPEN, None),)),
    make_unit("3088", "5XYPG4A3XHG287766", 2017, "Kia", "Sorento", "LX",
              "Snow White Pearl", "detail"),
    make_unit("3099", "4S4BTACC2N3170925", 2022, "Subaru", "Outback", "Premium",
              "Autumn Green Metallic", "frontline"),
    make_unit("4001", "1FM5K8D87KGA40017", 2019, "Ford", "Explorer", "XLT",
              "Agate Black", "inspection"),
    make_unit("4002", "1FM5K8F89KGB11245", 2019, "Ford", "Explorer", "Limited",
              "Ruby Red Metallic", "mechanical", work=(("A/C compressor", OPEN, None),)),
    make_unit("4003", "1FA6P8CF1M5101432", 2021, "Ford", "Mustang", "GT",
              "Velocity Blue", "photos"),
    make_unit("4100", "3GTU2MEC4GG200671", 2016, "GMC", "Sierra 1500", "SLE",
              "Onyx Black", "sublet", work=(("driver seat tear", OPEN, "Seat Doctor"),)),
    make_unit("4101", "1C6RR7LT3JS151938", 2018, "Ram", "1500", "Big Horn",
              "Bright White Clearcoat", "mechanical",
              work=(("tie rod ends", OPEN, None), ("alignment", OPEN, None))),
    make_unit("4200", "2GNAXKEV5L6118833", 2020, "Chevrolet", "Equinox", "LT",
              "Mosaic Black Metallic", "detail"),
    make_unit("4201", "3GNAXKEV7L5118833", 2020, "Chevrolet", "Equinox", "LT",
              "Silver Ice Metallic", "intake"),
    make_unit("4300", "1GNSKBKC1HR270042", 2017, "Chevrolet", "Tahoe", "LT",
              "Black", "mechanical", blocker=("parts", "rear shocks"),
              work=(("rear shocks", OPEN, None),)),
    make_unit("4301", "5TDGZRBH2NS552190", 2022, "Toyota", "Highlander", "XLE",
              "Midnight Black Metallic", "frontline"),
    make_unit("4400", "19XFB2F59EE041118", 2014, "Honda", "Civic", "LX",
              "Taffeta White", "sold"),
    make_unit("4401", "2HGFC2F7XJH503387", 2018, "Honda", "Civic", "EX",
              "Aegean Blue Metallic", "inspection"),
    make_unit("4500", "JM3KFBCM5K0602215", 2019, "Mazda", "CX-5", "Touring",
              "Soul Red Crystal Metallic", "photos"),
    make_unit("4600", "5YJ3E1EB4MF870391", 2021, "Tesla", "Model 3", "Long Range",
              "Pearl White Multi-Coat", "detail"),
    make_unit("4700", "5UXWX9C55G0D71120", 2016, "BMW", "X3", "xDrive28i",
              "Alpine White", "mechanical",
              work=(("oil change", DONE, None), ("rear brakes", OPEN, None),
                    ("wipers", OPEN, None))),
    make_unit("4800", "3VWC57BU2LM060483", 2020, "Volkswagen", "Jetta", "S",
              "Pure Gray", "inspection"),
    make_unit("4900", "JF2SKAGC7KH410076", 2019, "Subaru", "Forester", "Premium",
              "Crystal White Pearl", "sublet", work=(("rear bumper paint", OPEN, "Maaco"),)),
    make_unit("5000", "2C3CDXHG6HH577204", 2017, "Dodge", "Charger", "SXT",
              "Granite Pearlcoat", "mechanical", work=(("4 tires", OPEN, None),)),
    make_unit("5101", "1G11C5SL0FF203318", 2015, "Chevrolet", "Malibu", "LT",
              "Silver Ice Metallic", "detail"),
    make_unit("5102", "1FTFW1E85NFA09162", 2022, "Ford", "F-150", "Lariat",
              "Oxford White", "inspection"),
    make_unit("5103", "1FTFW1E50NKD30457", 2022, "Ford", "F-150", "XL",
              "Iconic Silver Metallic", "photos"),
    make_unit("5200", "1N6AD0EV2JN711560", 2018, "Nissan", "Frontier", "SV",
              "Gun Metallic", "mechanical", work=(("battery", OPEN, None),)),
    make_unit("6001", "2T1BU4EE1DC917733", 2013, "Toyota", "Corolla", "LE",
              "Classic Silver Metallic", "frontline"),
    make_unit("6002", "5YFBURHE4KP884621", 2019, "Toyota", "Corolla", "SE",
              "Blue Crush Metallic", "intake"),
    make_unit("6110", "KNDJ23AU4L7098115", 2020, "Kia", "Soul", "LX",
              "Inferno Red", "detail"),
    make_unit("6120", "2FMPK4J96JBB34471", 2018, "Ford", "Edge", "SEL",
              "White Platinum Metallic Tri-Coat", "mechanical", work=(("cv axle", OPEN, None),)),
    make_unit("6130", "1C4HJXDN3MW511804", 2021, "Jeep", "Wrangler Unlimited", "Sport",
              "Firecracker Red", "sublet", work=(("windshield", OPEN, "Safelite"),)),
    make_unit("T12045", "5FNYF4H59CB030212", 2012, "Honda", "Pilot", "EX-L",
              "Alabaster Silver Metallic", "intake"),
)
# fmt: on

STORE_INDEX = UnitIndex.build(STORE_UNITS)
UNITS_BY_STOCK: dict[str, UnitView] = {u.stock_number.upper(): u for u in STORE_UNITS}

DEFAULT_NAMES = {
    "technician": "Mike",
    "service_advisor": "Pam",
    "service_manager": "Glenn",
    "parts": "Sal",
    "detailer": "Luis",
    "photographer": "Jenna",
    "porter": "Dre",
    "used_car_manager": "Rick",
    "sales": "Tasha",
    "vendor": "Dent Pros",
    "admin": "Ana",
}


def unit(stock_number: str) -> UnitView:
    return UNITS_BY_STOCK[stock_number.upper()]


def make_sender(role: str = "technician", name: str | None = None) -> SenderView:
    return SenderView(id=f"s-{role}", name=name or DEFAULT_NAMES[role], role=role)


def make_context(*recent_stocks: str, now: datetime = NOW, media: int = 0) -> Context:
    return Context(
        recent_unit_ids=tuple(unit(s).id for s in recent_stocks), now=now, media_count=media
    )


def days_from_now(days: int) -> date:
    return date.fromordinal(NOW.date().toordinal() + days)
