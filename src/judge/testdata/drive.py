# Drives one stdio IMAP server process: one command at a time, waits for the tagged reply.
import subprocess, sys, re, os, select
def esc(b):
    out=[]
    for c in b:
        if c==0x5c: out.append('\\\\')
        elif c==13: out.append('\\r')
        elif c==10: out.append('\\n')
        elif c==9: out.append('\\t')
        elif 0x20<=c<=0x7e: out.append(chr(c))
        else: out.append('\\x%02X'%c)
    return ''.join(out)
argv = sys.argv[1:]
p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
buf = b""
def read_more():
    global buf
    d = os.read(p.stdout.fileno(), 65536)
    if not d: raise EOFError
    buf += d
def read_message():
    global buf
    msg = b""
    while True:
        while b"\n" not in buf: read_more()
        i = buf.index(b"\n")+1
        line, buf = buf[:i], buf[i:]
        msg += line
        m = re.search(rb"\{(\d+)\+?\}\r?\n$", line)
        if not m: return msg
        n = int(m.group(1))
        while len(buf) < n: read_more()
        msg += buf[:n]; buf = buf[n:]
exec(open(os.environ["SESSION"]).read())  # defines cmds: list of bytes commands (literal parts split)
out = []
out.append("greeting: " + esc(read_message()))
ended = "completed"
try:
    for parts in cmds:
        tag = parts[0].split(b" ")[0]
        for k, part in enumerate(parts):
            out.append("> " + esc(part))
            p.stdin.write(part); p.stdin.flush()
            while True:
                m = read_message()
                out.append("< " + esc(m))
                if m.startswith(b"+") and k+1 < len(parts): break
                if m.split(b" ")[0] == tag: break
            if m.split(b" ")[0] == tag: break
except EOFError:
    ended = "closed"
p.stdin.close()
try:
    rest = p.stdout.read()
except Exception: rest = b""
p.wait()
out.append("end: " + ended)
sys.stdout.write("\n".join(out) + "\n")
