exec(open('/dev/shm/jfx/gen.py').read().split("out = b\"\"")[0])
cmds=[]
for c in cmds_src:
    if isinstance(c, tuple):
        body = c[1].encode('latin-1' if '\xc3' in c[1] else 'utf-8')
        cmds.append([c[0].encode()+b"\r\n", body+b"\r\n"])
    else:
        cmds.append([c.encode()+b"\r\n"])
