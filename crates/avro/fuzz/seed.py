# Seeds the fuzz corpus (crates/avro/fuzz/corpus/decode) with records of the fuzzer's schemas
# encoded by fastavro: python3 crates/avro/fuzz/seed.py crates/avro/fuzz/corpus/decode
# (in the virtualenv of scripts/services, which has fastavro).
import io, re, random, uuid, decimal, datetime, os, sys, json
import fastavro
src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../tests/support/fuzz.rs')).read()
texts = re.findall(r'pub const (\w+): &str = r#"(.*?)"#;', src, re.S)
schemas = dict((n, json.loads(t)) for n, t in texts)
order = ["ALL_TYPES", "READING", "RECURSIVE", "ROOT_UNION"]
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
rnd = random.Random(7)
def val(s, named, depth=0):
    if isinstance(s, str):
        if s in named: return val(named[s], named, depth+1)
        return {"null": None, "boolean": rnd.random()<.5, "int": rnd.randint(-2**31, 2**31-1), "long": rnd.randint(-2**40, 2**40),
                "float": rnd.uniform(-1e6,1e6), "double": rnd.uniform(-1e9,1e9), "string": rnd.choice(["", "héllo", "x"*rnd.randint(0,40)]),
                "bytes": os.urandom(rnd.randint(0,8))}[s]
    if isinstance(s, list):
        choices = s if depth < 3 else [b for b in s if b == "null"] or s
        return val(rnd.choice(choices), named, depth+1)
    t = s["type"]; lt = s.get("logicalType") or s.get("x")
    if t == "record":
        named[s["name"]] = s
        if "namespace" in s: named[s["namespace"]+"."+s["name"]] = s
        return {f["name"]: val(f["type"], named, depth+1) for f in s["fields"]}
    if t == "enum": named[s["name"]] = s; return rnd.choice(s["symbols"])
    if t == "array": return [val(s["items"], named, depth+1) for _ in range(rnd.randint(0, 3 if depth < 3 else 0))]
    if t == "map": return {f"k{i}": val(s["values"], named, depth+1) for i in range(rnd.randint(0, 3 if depth < 3 else 0))}
    if t == "fixed":
        named[s["name"]] = s
        if lt == "decimal": return decimal.Decimal(rnd.randint(-10**15, 10**15)).scaleb(-s["scale"])
        if lt == "uuid": return uuid.uuid4().bytes
        return os.urandom(s["size"])
    if lt == "decimal": return decimal.Decimal(rnd.randint(-10**9, 10**9)).scaleb(-s["scale"])
    if lt == "big-decimal":
        def zz(n):
            n = (n << 1) ^ (n >> 63); out = b""
            while True:
                b = n & 0x7f; n >>= 7
                if n: out += bytes([b | 0x80])
                else: return out + bytes([b])
        unscaled = rnd.randint(-10**20, 10**20).to_bytes(10, "big", signed=True)
        return zz(len(unscaled)) + unscaled + zz(rnd.randint(0, 12))
    if lt == "uuid": return str(uuid.uuid4())
    if lt == "date": return rnd.randint(-10000, 30000)
    if lt in ("time-millis",): return rnd.randint(0, 86_400_000-1)
    if lt in ("time-micros",): return rnd.randint(0, 86_400_000_000-1)
    if lt and "timestamp" in lt: return rnd.randint(-2**50, 2**50)
    return val(t, named, depth)
n = 0
for si, name in enumerate(order):
    schema = schemas[name]
    # big-decimal isn't known to fastavro: write it as plain bytes (a valid encoding too).
    raw = json.loads(json.dumps(schema).replace('"logicalType": "big-decimal"', '"x": "big-decimal"').replace('"logicalType": "duration"', '"x": 0'))
    parsed = fastavro.parse_schema(raw)
    for k in range(12):
        rec = val(raw, {})
        buf = io.BytesIO()
        try:
            fastavro.schemaless_writer(buf, parsed, rec)
        except Exception as e:
            print("skip", name, e); continue
        body = buf.getvalue()
        for variant in range(3):
            sel = si*3 + variant + (0x80 if k % 2 == 0 else 0)
            framed = k % 2 == 0
            data = bytes([sel]) + ((b"\0" + (42).to_bytes(4, "big")) if framed else b"") + body
            open(os.path.join(out, f"seed-{name.lower()}-{variant}-{k}"), "wb").write(data)
            n += 1
print(n, "seeds")
