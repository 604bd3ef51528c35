"""Every word table the understanding uses, held once: keywords, stages, work items, colours, makes.

Words are written folded (lowercase, no accents). A canonical keyword starts with "!", a stage
with "@"; a canonical value with a space expands to several tokens ("aligned" is "alignment"
then "!done"). Anything not listed stays a plain word (item names, vendor names, free text).
"""

from __future__ import annotations

from recon.domain.stages import Stage

# fmt: off
KEYWORDS: dict[str, tuple[str, ...]] = {
    "!done": (
        "done", "dne", "dun", "donee", "finished", "finish", "finsh", "complete", "completed",
        "compl", "cmplt", "all set", "good to go", "gtg", "ready to go", "wrapped up",
        "knocked out", "listo", "lista", "listos", "listas", "terminado", "terminada",
        "terminados", "terminadas", "termine", "termino", "acabado", "acabe", "quedo", "finito",
        "fin", "uploaded", "posted", "ya esta", "completo", "completado",
    ),
    "!ready": ("ready", "rdy", "redy", "reddy"),
    "!inspected": ("inspected", "passed inspection", "passed", "inspeccionado"),
    "!needs": (
        "needs", "need", "nds", "neds", "needz", "requires", "require", "required", "needing",
        "necesita", "necesitan", "necesito", "found", "rec", "recs", "recommend", "recommends",
        "recommended", "falta", "le falta", "could use", "can use",
        # "done except the wheels" is "done, but needs the wheels".
        "except", "except for", "excepto", "other than",
        # Work still to do, not an approver's go-ahead ("do the"): "still gotta do the
        # alignment".
        "gotta do", "got to do", "have to do", "has to do", "need to do", "needs to do",
        "gonna have to do", "still have to do", "hay que hacer",
    ),
    # "windshield needs replaced": the item comes first.
    "!needsrep": (
        "needs replaced", "needs replacing", "needs to be replaced", "needs fixed", "needs fixing",
        "needs to be fixed", "need replaced", "needs done", "needed",
    ),
    "!fixed": (
        "replaced", "fixed", "repaired", "installed", "mounted", "swapped", "changed", "did",
        "put on", "r&r", "r/r", "rr", "cambiado", "cambie", "reemplazado", "arreglado", "arregle",
        "instalado", "took care of", "taken care of", "recharged", "replced",
        # Past participles of shop and body work: "timing cover resealed", "bumper painted".
        "resealed", "sealed", "painted", "sprayed", "flushed", "balanced", "rotated", "tinted",
        "buffed", "polished", "patched", "plugged", "welded", "serviced", "programmed",
        "reprogrammed", "adjusted", "torqued", "lubed", "bled", "tightened", "calibrated",
        "recalibrated", "machined", "resurfaced", "rebuilt", "shampooed", "pintado",
        # A detailer's verbs: "6110 cleaned", "buffed and waxed 6110" is the detail done.
        "cleaned", "washed", "waxed", "vacuumed", "ozoned",
    ),
    "!arrived": (
        "arrived", "came in", "came", "come in", "showed up", "here", "are here", "is here",
        "got here", "delivered", "received", "llegaron", "llego", "llegaron las", "in stock",
    ),
    "!got": ("got", "got in", "recieved"),
    "!waiting": (
        "waiting", "waiting on", "waiting for", "waitng", "wating", "waitin", "w8ing", "w8",
        "esperando", "still waiting", "pending", "held up", "waiting 4", "wtg", "wtng",
    ),
    "!hold": ("on hold", "hold", "holding"),
    "!unhold": (
        "off hold", "no longer on hold", "unblock", "unblocked", "clear hold", "release hold",
        "release the hold", "remove hold", "remove the hold", "lift hold", "lift the hold",
        "unhold", "take off hold",
    ),
    "!ordered": (
        "ordered", "on order", "backordered", "back ordered", "on backorder", "on back order",
        "backorder", "b/o", "ordering", "pedido", "pedidas", "pedidos", "special order",
    ),
    "!parts": ("parts", "part", "partes", "piezas", "pieza", "refacciones", "parst", "prts"),
    "!approved": (
        "approved", "approve", "aprobado", "aprobada", "aprobo", "okd", "ok'd", "okayed",
        "signed off",
    ),
    "!goahead": (
        "go ahead", "goahead", "go ahead on", "go ahead with", "ok to do", "ok to", "okay to",
        "proceed", "proceed with", "do it", "green light", "greenlight", "go for it", "good to do",
        "dale", "ok on", "okay on", "yes on", "yes to",
    ),
    "!approval": ("approval", "aprobacion", "authorization", "auth", "estimate approval"),
    "!approver": ("ucm", "manager", "gm", "desk", "used car manager", "sales manager"),
    "!back": ("back", "bck", "returned", "came back", "regreso", "regresaron", "brought back"),
    "!pickedup": ("picked up", "pick up", "picked", "grabbed"),
    "!drop": ("drop", "dropped", "dropping", "dropped off", "drop off"),
    "!move": (
        "move", "moved", "moving", "mover", "movi", "movido", "pull", "pulled", "pulling", "take",
        "took", "taking", "bring", "brought", "bringing", "drive", "drove", "driving", "push",
        "pushed", "headed", "heading", "going", "goes", "went", "go", "put", "parked", "park",
        "pasar", "pase", "llevar", "lleve", "can go",
    ),
    "!send": ("send", "sent", "sending", "mandar", "mande", "mandado", "ship", "shipped"),
    "!to": ("to", "into", "over to", "onto", "in to", "off to"),
    "!note": ("note", "notes", "nota", "fyi"),
    "!weowe": ("we owe", "we-owe", "weowe", "due bill", "we owe on"),
    "!ack": (
        "got it", "ack", "acked", "acking", "acknowledged", "seen", "saw it", "ok", "okay", "k", "kk",
        "gotcha", "got ya", "got you", "got u", "understood", "entendido",
        "copy", "copy that", "roger", "10-4", "noted", "sounds good", "will do", "ok got it",
        "yep", "yup", "yeah", "yea", "sure", "saw it", "cool", "np", "no prob", "no worries",
    ),
    "!saw": ("saw", "seen that"),
    # Thanks, greetings, sign-offs, laughter and the sender's own comings and goings: nothing to
    # do when that is all a text says ("good morning", "lol", "running late"); beside news
    # ("2231 done, thanks") the news is read as ever.
    "!thanks": (
        "thanks", "thank you", "thank u", "thx", "ty", "tks", "gracias", "tyvm", "appreciate it",
        "appreciate you", "appreciated", "much appreciated",
        "good morning", "morning all", "good afternoon", "good evening", "good night",
        "buenos dias", "buen dia", "buenas tardes", "buenas noches", "buenas",
        "have a good one", "have a good day", "have a great day", "have a good night",
        "have a good weekend", "have a great weekend", "see you tomorrow", "see ya", "cya",
        "ttyl", "lol", "lmao", "lmfao", "haha", "hahaha", "jaja", "jajaja",
        "running late", "running behind", "be there at", "be there in",
    ),
    # The sender on the way somewhere: "on my way" (alone, nothing to do), "omw to maaco to grab
    # 4900" (an errand).
    "!omw": ("on my way", "omw", "on my way over"),
    "!status": (
        "status", "stat", "update", "updates", "any update", "any updates", "whats up with",
        "what's up with", "how's", "hows", "how is", "where", "wheres", "where's", "donde",
        "donde esta", "eta on", "what stage", "whats the status",
    ),
    "!eta": (
        "eta", "should be here", "should be in", "arriving", "due", "expected", "llega", "llegan",
        "til", "till", "until",
        # A part that arrives on a date has not arrived: "caliper for 2231 arrives friday".
        "arrives", "will arrive", "gets here", "will be here",
        # "4410 parts supposed to come tomorrow": the day it is expected, not a plan or hedge.
        "supposed to come", "supposed to come in", "supposed to be here", "supposed to be in",
        "supposed to arrive", "should come", "should come in", "should arrive", "will come",
        "will come in", "gonna come", "gonna come in", "gonna be here", "should get here",
    ),
    "!not": (
        "not", "no", "dont", "don't", "didnt", "didn't", "isnt", "isn't", "aint", "ain't", "never",
        "nope", "cant", "can't", "wont", "won't", "stop", "cancel", "hold off", "not yet", "nunca",
        "todavia no", "aun no", "havent", "haven't", "hasnt", "hasn't", "wasnt", "wasn't",
        "werent", "weren't", "doesnt", "doesn't", "arent", "aren't", "couldnt", "couldn't",
    ),
    # Work still under way: "2231 almost done", "about to detail 4600". Nothing changes yet.
    "!underway": (
        "almost", "nearly", "about to", "casi", "ya mero", "starting", "started on", "working on",
        "going to start", "gonna start", "fixing to", "in progress", "halfway", "half way",
        "next", "up next", "on deck", "going to finish", "gonna finish", "going to do",
        # A hedge is no report and no promise: "2232 should be done by 3", "hoping to finish
        # 4101 today", "4002 might be done today".
        "should", "should be", "might", "might be", "hopefully", "probably", "prob", "hoping to",
        "hope to", "hopin to", "trying to", "try to", "tryna", "tryin to",
    ),
    # Asking for work, not reporting it: "get 5102 inspected today" (a move stays a move).
    "!request": (
        "get", "lets get", "let's get", "gotta get", "need to get", "have to get", "can u get",
        "can you get", "can we get", "can i get",
    ),
    # A part's new arrival date follows: "water pump coming tmrw" (see the grammar's rule).
    "!shipped": ("on the way", "on its way", "in transit"),
    "!coming": ("coming", "coming in", "comes in", "showing up", "shows up"),
    "!delayed": (
        "cant get to it", "can't get to it", "cant get to", "can't get to", "wont get to it",
        "won't get to it", "wont get to", "won't get to", "cant get it done", "can't get it done",
        "cant do it till", "can't do it till", "cant do it until", "can't do it until",
    ),
    # Taking back an earlier text: "wrong stock, should be 2240", "oops meant 2240", "disregard".
    # Nothing in such a text is applied; the reply points to UNDO.
    "!correction": (
        "meant", "i meant", "wrong stock", "wrong car", "wrong unit", "wrong number", "wrong one",
        "scratch that", "disregard", "ignore that", "ignore last", "ignore my last",
        "nvm", "never mind", "nevermind",
    ),
    "!declined": ("declined", "decline", "denied", "deny", "turned down", "rechazado", "no go"),
    "!will": (
        "will", "gonna", "shall", "plan to", "planning to", "supposed to", "va a",
        "voy a", "later", "this afternoon", "tonight", "going to drop", "going to bring",
        # A forecast, not a report: "2231 is going to be done after lunch".
        "going to be",
    ),
    "!shot": ("shot",),
    "!bad": (
        "bad", "worn", "bald", "cracked", "broken", "broke", "leaking", "leaks", "leak", "dead",
        "weak", "torn", "ripped", "noisy", "squeaking", "squeaky", "grinding", "worn out",
        "failing", "failed", "is dead", "are bald", "are worn", "is bad", "are bad", "is cracked",
        "is leaking",
    ),
    "!nothing": (
        "nothing", "nothing found", "no issues", "no problems", "no problem", "all good",
        "looks good", "needs nothing", "nada", "todo bien", "sin problemas", "clean",
        "found nothing", "no work needed", "no recs", "no rec", "no recommendations",
        "nothing needed",
    ),
    "!add": ("add", "adding", "add on", "agregar"),
    "!pickup": ("ready for pickup", "ready for pick up", "ready to pick up", "ready for pu"),
    # Politeness carries no meaning; dropped so "pls move 2231" reads as "move 2231".
    "!polite": ("please", "pls", "plz", "can you", "could you", "can u", "could u", "por favor"),
    "!someone": ("can someone", "someone", "anyone", "somebody"),
}

STAGE_WORDS: dict[Stage, tuple[str, ...]] = {
    Stage.INSPECTION: (
        "inspection", "insp", "inspect", "inspeccion", "safety inspection", "safety",
        "state inspection", "mpi", "pi", "multi point", "multi-point", "multipoint", "inspecton",
    ),
    Stage.MECHANICAL: (
        "mechanical", "mech", "mechanic", "mechanics", "shop", "the shop", "service",
        "service dept", "mecanica", "mecanico", "taller",
    ),
    Stage.SUBLET: ("sublet", "sub let"),
    Stage.DETAIL: (
        "detail", "detl", "dtl", "det", "detail dept", "detalle", "detailing", "wash", "wash bay",
        "lavado", "the wash",
    ),
    Stage.PHOTOS: (
        "photos", "photo", "pics", "pic", "pix", "pictures", "picture", "fotos", "foto",
        "photo booth", "the photo booth", "photo shoot", "phtos", "booth", "the booth",
    ),
    Stage.FRONTLINE: (
        "frontline", "front line", "the line", "the lot", "for sale", "sale ready", "sell",
        "the front", "out front", "frontlined", "linea", "la linea", "front row", "the front row",
        "showroom", "the showroom", "show room",
    ),
    Stage.SOLD: ("sold", "sld", "vendido", "vendida"),
}

# Phrases that read differently from their words; checked before KEYWORDS.
EXTRA_PHRASES: dict[str, str] = {
    "aligned": "alignment !done", "detailed": "@detail !done", "photographed": "@photos !done",
    "lot ready": "@frontline !ready", "line ready": "@frontline !ready",
    "ready for sale": "!ready !to @frontline", "no parts": "!waiting !parts",
    "no parts yet": "!waiting !parts", "parts in": "!parts !arrived", "part in": "!parts !arrived",
    "parts r in": "!parts !arrived", "parts are in": "!parts !arrived",
    "parts is in": "!parts !arrived", "parts were in": "!parts !arrived",
    "parts was in": "!parts !arrived", "inspection done": "@inspection !done",
    "listo para": "!ready !to", "lista para": "!ready !to",
    "ready to sell": "!ready !to @frontline", "to sell": "!to @frontline", "needs to go to": "!to",
    "need to go to": "!to", "needs to go": "!to", "oil service": "oil service",
    "in service": "in @mechanical", "with detail": "with @detail", "r done": "!done",
    "are done": "!done", "is done": "!done", "got it back": "!got !back",
    "dropped it back": "!drop !back", "body shop": "bodyshop", "paint shop": "paintshop",
    "glass shop": "glassshop", "tire shop": "tireshop", "dent shop": "dentshop", "w/": "with",
    "w/o": "without", "u/": "under", "one sec": "",
    # Back at the store from a vendor, not a move to the front line.
    "back on the lot": "!back", "back at the lot": "!back", "back on lot": "!back",
    "back at the dealership": "!back", "back at the store": "!back", "back here": "!back",
    # Dents "out" are the PDR done.
    "dents out": "dents !fixed", "dent out": "dent !fixed", "dings out": "dings !fixed",
    "dents are out": "dents !fixed", "dent is out": "dent !fixed",
    # A part that is not here yet: "compressor wont be here till monday".
    "wont be here": "!notyet", "won't be here": "!notyet", "wont be in": "!notyet",
    "won't be in": "!notyet", "not here yet": "!notyet", "not in yet": "!notyet",
    "isnt here yet": "!notyet", "isn't here yet": "!notyet", "hasnt come in": "!notyet",
    "hasn't come in": "!notyet", "havent come in": "!notyet", "haven't come in": "!notyet",
    "not here": "!notyet", "hasnt arrived": "!notyet", "hasn't arrived": "!notyet",
    "no ha llegado": "!notyet", "no han llegado": "!notyet", "not arrived": "!notyet",
    "didnt come": "!notyet", "didn't come": "!notyet", "didnt come in": "!notyet",
    "didn't come in": "!notyet", "never came": "!notyet", "never came in": "!notyet",
    "didnt show": "!notyet", "didn't show": "!notyet", "didnt show up": "!notyet",
    "didn't show up": "!notyet",
    # "6120 out of the shop": the shop step is over (but "out of soap" is not a stage).
    "out of the shop": "@mechanical !done", "out of shop": "@mechanical !done",
    "out of service": "@mechanical !done", "out of detail": "@detail !done",
    # Taken off the front line is no move onto it: "took 4002 off the line".
    "off the line": "offline", "off the front line": "offline", "off the lot": "offline",
    "off line": "offline", "off frontline": "offline", "off the frontline": "offline",
    # A car that needs cleaning asks for detail; it is not a wash done.
    "needs to be washed": "!needs a @detail", "needs washed": "!needs a @detail",
    "needs to be cleaned": "!needs a @detail", "needs cleaned": "!needs a @detail",
    "needs to be detailed": "!needs a @detail", "needs detailed": "!needs a @detail",
    # A warning light that is on is a fault, not a part put on.
    "light on": "light !bad", "light is on": "light !bad", "light came on": "light !bad",
    "lights on": "lights !bad", "lights are on": "lights !bad",
    # An approver's "do the reseal on 3077" is the go-ahead, not the job done.
    "do the": "!goahead the",
}

# Symbols that carry meaning when texted on their own.
SYMBOLS: dict[str, str] = {
    "🙏": "!thanks", "😂": "!thanks", "🤣": "!thanks", "😅": "!thanks", "😆": "!thanks", "✅": "!done", "✔": "!done", "☑": "!done", "✓": "!done", "👍": "!ack", "👌": "!ack", "🆗": "!ack",
    "📸": "@photos", "📷": "@photos", "❌": "!not", "🚫": "!not", "→": "!to", "➡": "!to", ">": "!to",
    "@": "at", "&": "and", "+": "and", ",": ",", ":": "", "?": "?", "#": "#", "/": "and",
}

# Words that carry no meaning of their own: they never make a text "understood", and item
# names are trimmed of them.
FILLERS: frozenset[str] = frozenset(
    [
        "the", "a", "an", "is", "are", "was", "were", "be", "been", "being", "it", "its", "it's",
        "this", "that", "these", "those", "one", "car", "cars", "truck", "trucks", "suv", "van",
        "vehicle", "vehicles", "unit", "all", "just", "now", "already", "finally", "ya", "el",
        "la", "los", "las", "del", "de", "que", "yet", "today", "so", "too", "also", "and", "then",
        "up", "my", "our", "your", "ur", "u", "you", "i", "we", "me", "has", "have", "had",
        "still", "officially", "completely", "totally", "hey", "hi", "yo", "on", "for",
        "with", "at", "in", "of", "from", "by", "there", "sir", "bro", "man", "guys", "ok", "okay",
        "el", "la", "lo", "le", "y", "con", "para", "pa", "este", "esta", "ese", "esa", "un",
        "una", "mas", "more", "again", "real", "quick", "quickly", "asap", "please", "pls", "plz",
        "thank", "thanks", ":", ",", "#", "-", "and/or", "whole", "everything", "work", "job",
        "stuff", "recon", "both", "really", "ducking", "fucking", "freaking", "frickin",
        "friggin", "effing", "damn", "dang", "period", "ive", "i've", "weve", "we've", "im", "i'm",
    ]
)

# Words that start a question: "where is 2231", "is 4410B done yet", "did the parts come".
QUESTION_STARTERS: frozenset[str] = frozenset(
    [
        "where", "wheres", "where's", "when", "what", "whats", "what's", "how", "hows", "how's",
        "any", "anything", "donde", "cuando", "status", "stat", "why", "which", "whens", "when's",
        "wen", "wat", "wats", "wut", "como",
        # About a person ("who's doing the alignment on 4101"): asked, never a report.
        "who", "who's", "whos", "whose",
    ]
)

# Words that start a question only when a unit or a person follows: "is 4410B done",
# "did you move 2231" (but "did the alignment on 4101" is a statement).
AUX_QUESTION_STARTERS: frozenset[str] = frozenset(
    ["is", "are", "was", "were", "did", "does", "do", "has", "have", "can", "could", "will"]
)
QUESTION_SUBJECTS: frozenset[str] = frozenset(
    ["u", "you", "we", "they", "he", "she", "it", "anyone", "someone", "somebody", "anybody"]
)

# Compliance keywords, whole message only (carrier rules); case and punctuation ignored.
OPT_OUT_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
OPT_IN_WORDS = frozenset({"start", "unstop", "yes"})
HELP_WORDS = frozenset({"help", "info"})
UNDO_PHRASES = frozenset({"undo", "undo that", "undo it", "undo last", "undo pls", "undo please"})
# Words that may stand beside "undo" in a whole-message undo: "undo last one", "pls undo that".
UNDO_EXTRA_WORDS = frozenset(
    {"that", "it", "last", "one", "pls", "please", "plz", "the", "my", "text", "message", "msg",
     "change", "oops", "sorry", "lol", "previous", "ultimo", "eso", "wrong", "car", "bad",
     "mistake", "nvm", "nevermind"}
)

# Work item meanings: an open item matches a text when they share a concept ("pads" completes
# "front brakes"). Also the words that make a phrase look like work in "needs X".
WORK_CONCEPTS: dict[str, tuple[str, ...]] = {
    "brakes": (
        "brake", "brakes", "breaks", "brks", "brk", "pads", "pad", "rotors", "rotor", "calipers",
        "caliper", "brake job", "frenos", "freno", "pastillas", "drums", "brake pads",
    ),
    "tires": ("tire", "tires", "tyre", "tyres", "tirez", "rubber", "llantas", "llanta", "gomas"),
    "glass": (
        "windshield", "windshields", "glass", "windscreen", "w/s", "ws", "parabrisas",
        "back glass",
    ),
    "dent": ("pdr", "dent", "dents", "ding", "dings", "paintless", "hail"),
    "ac": (
        "a/c", "ac", "a.c", "air conditioning", "compressor", "freon", "recharge", "aire",
        "ac compressor", "a/c compressor", "air",
    ),
    "alignment": ("alignment", "align", "alinear", "alineacion", "alignement", "front end"),
    "oil": ("oil change", "oil", "lof", "oil service", "aceite"),
    "battery": ("battery", "batt", "bateria", "batery", "battry"),
    "wipers": ("wipers", "wiper", "wiper blades", "blades", "wiper blade"),
    "filter": ("filter", "filters", "cabin filter", "air filter", "engine air filter"),
    "shocks": ("shocks", "shock", "struts", "strut", "amortiguadores", "amortiguador"),
    "tierods": ("tie rod", "tie rods", "tie rod ends", "tierods", "tierod", "tie rod end"),
    "waterpump": ("water pump", "waterpump", "pump", "bomba de agua", "bomba"),
    "paint": (
        "paint", "bumper", "touch up", "touchup", "body work", "bodywork", "scratch", "scratches",
        "scuff", "scuffs", "fender", "quarter panel", "hood", "door", "rayon", "rayones",
        "pintura",
    ),
    "seat": ("seat", "seats", "upholstery", "tear", "headliner", "leather"),
    "timing": ("timing cover", "timing belt", "timing chain", "reseal", "timing"),
    "cv": ("cv axle", "axle", "cv", "cv boot", "axles"),
    "plugs": ("spark plugs", "plugs", "plug", "spark plug"),
    "coils": ("coils", "coil", "ignition coil", "ignition coils"),
    "bedliner": ("bedliner", "bed liner", "liner", "spray in liner"),
    "gasket": ("valve cover gasket", "gasket", "valve cover"),
    "key": (
        "key", "keys", "fob", "key fob", "2nd key", "second key", "remote", "key fob battery",
        "fob battery", "remote battery",
    ),
    "lights": ("headlight", "headlights", "bulb", "bulbs", "tail light", "brake light", "light"),
    "belt": ("belt", "belts", "serpentine", "serpentine belt"),
    "tint": ("tint", "window tint"),
    "wheel": ("wheel", "wheels", "rim", "rims", "curb rash"),
    "mats": ("mats", "floor mats", "mud flaps"),
    "exhaust": ("exhaust", "muffler", "cat", "catalytic", "catalytic converter"),
    "transmission": ("trans", "transmission", "tranny"),
    "coolant": ("coolant", "radiator", "thermostat", "hose", "hoses"),
    "sensor": ("sensor", "o2 sensor", "tpms", "sensors"),
    "engine": ("cel", "check engine", "check engine light", "engine", "code", "misfire"),
    "recall": ("recall", "recalls"),
    "suspension": ("control arm", "ball joint", "sway bar", "bushings", "bearing", "hub"),
    "mirror": ("mirror", "mirrors"),
    "window": ("window", "regulator", "window motor"),
    "starter": ("starter", "alternator"),
    "smell": ("odor", "smoke smell", "ozone"),
    "fluids": ("flush", "fluid", "fluids", "diff"),
}

# Position words that tell two items of the same concept apart ("front brakes", "rear brakes").
POSITION_WORDS: dict[str, str] = {
    "front": "front", "frt": "front", "fr": "front", "rear": "rear", "back": "rear", "rr": "rear",
    "lf": "lf", "rf": "rf", "lr": "lr", "driver": "driver", "passenger": "passenger",
    "left": "left", "right": "right", "delanteros": "front", "traseros": "rear",
}

# Words that make "to X" or "waiting on X" about an outside vendor rather than a stage or part.
VENDOR_WORDS: frozenset[str] = frozenset(
    [
        "guy", "guys", "vendor", "vendors", "bodyshop", "paintshop", "glassshop", "tireshop",
        "dentshop", "sublet", "maaco", "safelite", "company", "place",
    ]
)

# Words before a place the car is taken to or comes from: a bare make after them is that make's
# dealer ("took 4600 to tesla for the recall", "back from honda"), not a car.
PLACE_LEADS: frozenset[str] = frozenset(["to", "at", "from", "@"])

# Words after a make that make it the make's dealer: "at the ford dealer", "honda dealership".
DEALER_WORDS: frozenset[str] = frozenset(
    ["dealer", "dealers", "dealership", "dealerships", "store"]
)

# Words that make a "needs X" phrase something other than work ("need keys for 2232").
NOT_WORK_WORDS: frozenset[str] = frozenset(
    [
        "it", "me", "him", "her", "them", "you", "someone", "somebody", "customer", "customers",
        "help", "call", "ride", "time", "money", "answer", "update", "info", "quoted", "quote",
        "total", "approx", "est", "estimate", "price", "cost", "ro", "po", "invoice", "inv",
        "ticket", "claim",
        # "found 5102, it was at the body shop lot": where a car is, not what it needs.
        "was", "were", "lot", "yard", "building",
    ]
)

# People who may be the ones waiting: "customer waiting" is not a car waiting on parts.
PEOPLE_WORDS: frozenset[str] = frozenset(
    [
        "customer", "customers", "cust", "client", "buyer", "he", "she", "they", "hes", "shes",
        "theyre", "he's", "she's", "they're", "guy", "someone", "somebody", "people", "salesman", "im", "cliente",
    ]
)

# Base colours as texted, with the DMS colour words that mean them.
COLORS: dict[str, tuple[str, ...]] = {
    "white": ("white", "wht", "pearl white", "snow", "ivory", "blanco", "blanca"),
    "black": ("black", "blk", "blck", "ebony", "onyx", "obsidian", "negro", "negra", "raven"),
    "silver": ("silver", "slv", "silv", "plata", "platinum silver", "plateado", "plateada"),
    "gray": (
        "gray", "grey", "gry", "charcoal", "graphite", "gunmetal", "gun", "steel", "slate",
        "cement", "granite", "magnetic", "gris", "tungsten",
    ),
    "red": (
        "red", "maroon", "burgundy", "crimson", "ruby", "cherry", "rojo", "roja", "firecracker",
        "inferno",
    ),
    "blue": ("blue", "blu", "navy", "azul", "blueprint"),
    "green": ("green", "grn", "verde"),
    "brown": ("brown", "bronze", "copper", "mocha", "cafe"),
    "tan": ("tan", "beige", "sand", "khaki", "champagne"),
    "gold": ("gold",),
    "orange": ("orange",),
    "yellow": ("yellow",),
    "purple": ("purple",),
}

# Colours people mix up; a text naming one may mean the other, so such a match is only offered
# back as a question, never applied.
SIMILAR_COLORS: dict[str, frozenset[str]] = {
    "gray": frozenset({"silver"}),
    "silver": frozenset({"gray", "white"}),
    "white": frozenset({"silver"}),
    "red": frozenset({"orange"}),
    "tan": frozenset({"gold", "brown"}),
    "brown": frozenset({"tan"}),
}

MAKE_ALIASES: dict[str, tuple[str, ...]] = {
    "chevrolet": ("chevrolet", "chevy", "chev", "chevey"),
    "ford": ("ford",),
    "toyota": ("toyota", "yota"),
    "honda": ("honda",),
    "nissan": ("nissan",),
    "jeep": ("jeep",),
    "ram": ("ram", "dodge ram"),
    "dodge": ("dodge",),
    "gmc": ("gmc",),
    "bmw": ("bmw", "bimmer"),
    "mercedes-benz": ("mercedes", "merc", "benz", "mercedes-benz", "mb"),
    "volkswagen": ("volkswagen", "vw"),
    "hyundai": ("hyundai",),
    "kia": ("kia",),
    "subaru": ("subaru", "subi", "subie"),
    "mazda": ("mazda",),
    "lexus": ("lexus",),
    "acura": ("acura",),
    "audi": ("audi",),
    "tesla": ("tesla",),
    "buick": ("buick",),
    "cadillac": ("cadillac", "caddy", "caddi"),
    "lincoln": ("lincoln",),
    "chrysler": ("chrysler",),
    "mitsubishi": ("mitsubishi", "mitsu"),
    "volvo": ("volvo",),
    "infiniti": ("infiniti", "infinity"),
    "porsche": ("porsche",),
    "genesis": ("genesis",),
}

# Model names that are also everyday words: they only name a car next to a colour, year or
# make ("blue escape", "2018 edge", "kia soul"), never alone ("pdr on the edge").
COMMON_WORD_MODELS: frozenset[str] = frozenset(
    [
        "escape", "edge", "soul", "pilot", "charger", "journey", "fit", "focus", "ranger",
        "compass", "spark", "express", "transit", "note", "leaf", "kicks", "ascent", "passport",
        "accent", "venue", "golf", "atlas", "legacy", "sport", "canyon", "terrain", "traverse",
        "encore", "mirage", "fusion", "insight", "clarity", "element", "quest", "model", "town",
        "country", "liberty", "patriot", "cube", "one",
    ]
)

# Protected words that are "done" mistyped, but only as the whole report right after a car at
# the end of the text ("2232 is dome", "2232 dine"); anywhere else they stay words ("dome light").
DONE_SLIPS: frozenset[str] = frozenset(["dome", "dine", "dune"])

# Every-day words that must never be "corrected" into a vocabulary word that is one or two
# letters away ("gone" is not "done", "writing" is not "waiting", "much" is not "mech").
PROTECTED_WORDS: frozenset[str] = frozenset(
    [
        "gone", "bone", "none", "dine", "dome", "dose", "dote", "dune", "hone", "lone", "tone",
        "zone", "node", "cone", "done", "dont", "doing", "down", "dove", "dorm", "door", "doors",
        "feed", "seed", "weed", "deed", "heed", "reed", "need", "nerd", "nee", "knee", "pick",
        "pies", "pins", "pits", "pigs", "pies", "epic", "pica", "told", "cold", "hold", "gold",
        "bold", "fold", "mold", "sole", "sold", "solid", "soldier", "soda", "stop", "ship", "shot",
        "show", "chop", "shoe", "shops", "shoo", "shout", "stoop", "pack", "rack", "sack", "hack",
        "jack", "lack", "black", "bank", "bake", "back", "bark", "party", "pants", "ports",
        "blend", "blends", "unsold",
        "darts", "carts", "warts", "paris", "port", "pact", "pats", "retail", "details", "dental",
        "much", "mach", "meh", "mesh", "mecca", "tired", "fires", "wires", "tries", "times",
        "tiles", "tiers", "tirade", "writing", "wanting", "waiting", "wading", "baiting",
        "improved", "improve", "approve", "approves", "assignment", "alignments", "consignment",
        "complain", "compete", "compile", "complex", "competed", "completes", "compiled",
        "suspected", "respected", "expected", "inspects", "read", "reads", "ready", "rear", "real",
        "rec", "red", "rad", "raddy", "note", "nose", "not", "nope", "vote", "rote", "line",
        "lime", "fine", "life", "like", "lane", "mine", "nine", "wine", "link", "lines", "lone",
        "lint", "much", "such", "mush", "hello", "help", "held", "hell", "hells", "there", "these",
        "three", "threw", "throw", "photo", "phone", "phones", "photon", "sale", "safe", "same",
        "sole", "tale", "male", "pale", "sate", "salt", "wash", "wish", "cash", "dash", "mash",
        "rash", "lots", "lost", "lose", "lota", "tow", "two", "toe", "call", "came", "come",
        "cane", "coming", "combing", "homing", "bring", "brings", "bringing", "seen", "seem",
        "send", "sent", "seat", "seal", "when", "then", "them", "they", "thee", "what", "that",
        "than", "chat", "hat", "shop", "stop", "ship", "slop", "park", "part", "pare", "tell",
        "tall", "tile", "toll", "wait", "want", "watt", "what", "will", "well", "wall", "fill",
        "kill", "till", "tall", "mill", "still", "stall", "stale", "steal", "steel", "guess",
        "guest", "just", "must", "dust", "bust", "rust", "good", "food", "goods", "mood", "hood",
        "wood", "keys", "key", "kept", "open", "oven", "opel", "late", "lake", "date", "gate",
        "mate", "rate", "time", "tine", "tide", "later", "latter", "love", "lose", "live", "says",
        "stays", "fire", "hire", "wire", "tire", "dire", "plate", "place", "plane", "brake",
        "break", "bread", "braked", "flat", "flap", "leak", "lean", "leap", "drop", "drip", "drag",
        "drum", "dent", "rent", "tent", "sent", "bent", "went", "sent", "cent", "clean", "clear",
        "frame", "flame", "check", "chuck", "cheek", "code", "core", "coke", "cove", "gas", "has",
        "was", "water", "later", "wafer", "pump", "bump", "dump", "jump", "lump", "hose", "host",
        "rose", "nose", "cover", "cower", "lover", "belt", "bell", "bolt", "light", "night",
        "might", "right", "sight", "tight", "fight", "lamp", "lump", "seal", "deal", "heal",
        "meal", "real", "mats", "mass", "mate", "gear", "hear", "dear", "near", "year", "bear",
        "fear", "wear", "tear", "rims", "aims", "dims", "wheel", "whale", "wheat", "glass",
        "class", "grass", "gloss", "paint", "faint", "saint", "pain", "print", "body", "bod",
        "dead", "deed", "read", "head", "lead", "detailer", "detailers", "retailer", "needle",
        "needless", "pending", "spending", "sending", "lending", "tending", "bending", "vending",
        "fitted", "fixed", "mixed", "passed", "parsed", "posted", "pasted", "inspired", "instead",
        "finish", "finnish", "aligned", "signed", "mounted", "counted", "swapped", "snapped",
        "stopped", "changed", "charged", "chained", "replaced", "replace", "relaxed", "arrived",
        "derived", "ordered", "offered", "approved", "approves", "installed", "instilled",
        # "2231 customer states noise" is not a status question; "wont start" not a "stat".
        "state", "states", "stated", "start", "starts", "started",
    ]
)
# fmt: on
