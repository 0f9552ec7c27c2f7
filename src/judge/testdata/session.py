import os, re
exec(open(os.path.join(os.path.dirname(os.environ["SESSION"]), "gen.py")).read().split("out = b\"\"")[0])
prefix = os.environ.get("PREFIX", "")
def fix(c):
    return re.sub(r"\b(foo|baz|nosuch)\b", lambda m: prefix + m.group(1), c) if prefix else c
cmds = []
for c in cmds_src:
    if isinstance(c, tuple):
        body = c[1].encode('latin-1' if '\xc3' in c[1] else 'utf-8')
        cmds.append([fix(c[0]).encode() + b"\r\n", body + b"\r\n"])
    else:
        cmds.append([fix(c).encode() + b"\r\n"])

if os.environ.get("LOGIN"):
    cmds.insert(0, [os.environ["LOGIN"].encode() + b"\r\n"])
