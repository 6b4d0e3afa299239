#!/usr/bin/env python3
"""Regenerates testdata/corpus: realistic files holding generated (never
real) credentials under positive/, and look-alikes that must not be
reported under negative/. Run from the repository root:

    python3 testdata/corpus/gen.py

The seed is fixed; keys made with openssl/ssh-keygen differ per run.
"""
import base64, hashlib, os, random, shutil, string, subprocess, tempfile, zlib, json, uuid, sys

R = random.Random(20250917)
ROOT = os.path.dirname(os.path.abspath(__file__))
AL = string.ascii_letters + string.digits
UP = string.ascii_uppercase + string.digits
LO = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
BAD = ["test", "xxx", "demo", "fake", "mock", "todo", "fixme", "exampl", "dummy", "sampl",
       "lorem", "ipsum", "0123", "1234", "abcd", "qwer", "asdf", "pass", "secret", "token",
       "key", "admin", "user", "root", "null", "true", "false", "none", "aaaa", "0000"]

def rs(n, alpha=AL):
    while True:
        s = "".join(R.choice(alpha) for _ in range(n))
        low = s.lower()
        if not any(b in low for b in BAD):
            return s

def hx(n): return rs(n, HEX)
def rbytes(n): return bytes(R.getrandbits(8) for _ in range(n))
def b64(n, url=False):
    while True:
        b = rbytes(n)
        s = base64.urlsafe_b64encode(b).decode() if url else base64.b64encode(b).decode()
        if not any(x in s.lower() for x in BAD):
            return s

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def b62(v, w):
    out = ""
    for _ in range(w):
        out = B62[v % 62] + out
        v //= 62
    return out
def gh(prefix):
    body = rs(30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xffffffff, 6)

def aws_id(p="AKIA"): return p + rs(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
def aws_secret(): return rs(40, AL + "+/")
def pw(n=16): return rs(n, AL + "!#%^*-_=+")
def word_pw():
    words = ["Orchid", "Falcon", "Granite", "Harbor", "Juniper", "Lantern", "Maple", "Nimbus", "Quartz", "Saffron", "Tundra", "Velvet", "Willow", "Zephyr"]
    return R.choice(words) + R.choice(["!", "#", "$", "%", "&", "*", "@"]) + str(R.randint(1000, 9999)) + R.choice(words).lower()

FILES = {}  # relative path -> content
def pos(family, name, text): FILES[os.path.join("positive", family, name)] = text
def neg(name, text): FILES[os.path.join("negative", name)] = text

def run(cmd, inp=None):
    return subprocess.run(cmd, input=inp, capture_output=True, check=True).stdout.decode()

TMP = tempfile.mkdtemp()
def openssl_key(kind):
    if kind == "rsa":
        return run(["openssl", "genrsa", "-traditional", "2048"])
    if kind == "ec":
        return run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout"])
    if kind == "pkcs8":
        return run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
    if kind == "ed25519":
        return run(["openssl", "genpkey", "-algorithm", "ed25519"])
    if kind == "enc":
        return run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes-256-cbc", "-pass", "pass:" + pw()])
    if kind == "rsa-enc-legacy":
        return run(["openssl", "genrsa", "-traditional", "-aes128", "-passout", "pass:" + pw(), "2048"])
    raise ValueError(kind)

def ssh_key(t="ed25519"):
    p = os.path.join(TMP, "k" + rs(6))
    subprocess.run(["ssh-keygen", "-q", "-t", t, "-N", "", "-C", "deploy@build-01", "-f", p], check=True)
    return open(p).read(), open(p + ".pub").read()

def cert():
    k = os.path.join(TMP, "c.key"); c = os.path.join(TMP, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k, "-out", c, "-days", "30", "-subj", "/CN=internal.corp.local"], check=True, capture_output=True)
    return open(c).read(), open(k).read()

def sha512crypt(p): return run(["openssl", "passwd", "-6", "-salt", rs(16, string.ascii_letters + string.digits + "./"), p]).strip()
def apr1(p): return run(["openssl", "passwd", "-apr1", p]).strip()
def bcrypt_like(): return "$2y$10$" + rs(53, string.ascii_letters + string.digits + "./")

exec(open(os.path.join(ROOT, "gen_positive.py")).read())
exec(open(os.path.join(ROOT, "gen_negative.py")).read())
exec(open(os.path.join(ROOT, "gen_context.py")).read())

for d in ("positive", "negative"):
    shutil.rmtree(os.path.join(ROOT, d), ignore_errors=True)
for rel, text in sorted(FILES.items()):
    p = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
shutil.rmtree(TMP)
print(sum(1 for k in FILES if k.startswith("positive")), "positive,", sum(1 for k in FILES if k.startswith("negative")), "negative")
