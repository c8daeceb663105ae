"""Reads one plain scalar per line; prints how PyYAML (YAML 1.1, safe_load) reads it. The oracle for
specsync's ScalarReaders.yaml11 (core tests)."""
import datetime, math, sys, yaml

for line in sys.stdin:
    text = line.rstrip("\n")
    try:
        v = yaml.safe_load("v: " + text + "\n")["v"]
    except Exception:
        print("error")
        continue
    if v is None:
        print("null")
    elif isinstance(v, bool):
        print("bool\t" + ("true" if v else "false"))
    elif isinstance(v, int):
        print("int\t%d" % v)
    elif isinstance(v, float):
        print("float\tnan" if math.isnan(v) else "float\t" + repr(v))
    elif isinstance(v, str):
        print("string")
    elif isinstance(v, (datetime.date, datetime.datetime)):
        print("timestamp")
    else:
        print("other\t" + type(v).__name__)
