#!/usr/bin/env python3
"""Checks tests/vectors/e2ee.json with an independent implementation of
docs/e2ee.md written in Python on pyca/cryptography (Debian: python3-cryptography),
sharing no code with lib/e2ee. Usage: tools/check-e2ee-vectors.py [FILE]"""
import json, hmac, hashlib, sys, base64
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization
d = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors/e2ee.json"))
H = bytes.fromhex
def hkdf(salt, ikm, info, L, h=hashlib.sha256):
    prk = hmac.new(salt if salt else b'\0'*h().digest_size, ikm, h).digest()
    out = b''; t = b''; i = 1
    while len(out) < L:
        t = hmac.new(prk, t + info + bytes([i]), h).digest(); out += t; i += 1
    return out[:L]
def pub_of(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def x25519(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))
def pairwise(sid, ida, privA, pubA, idb, pubB):
    sh = x25519(privA, pubB)
    info = b'sealroom pairwise v1' + min(pubA, pubB) + max(pubA, pubB) + min(ida, idb) + max(ida, idb)
    return sh, info, hkdf(sid, sh, info, 16)
def header(kid, ctr):
    def f(v):
        if v <= 7: return 0, v, b''
        n = (v.bit_length() + 7) // 8
        return 1, n - 1, v.to_bytes(n, 'big')
    x, k, kb = f(kid); y, c, cb = f(ctr)
    return bytes([x << 7 | k << 4 | y << 3 | c]) + kb + cb
def prefix_len(codec, fr):
    if not fr: return 0
    if codec == 'vp8': return 10 if fr[0] & 1 == 0 else 3
    if codec == 'opus': return 1
    return 0
def ratchet(k): return hkdf(b'', k, b'SFrame 1.0 Ratchet', 32)
def digits(h, info, groups):
    st = hkdf(b'', h, info, 8160); out = []; i = 0
    while len(out) < groups:
        x = int.from_bytes(st[4*i:4*i+4], 'big'); i += 1
        if x >= 4294900000: continue
        out.append('%05d' % (x % 100000))
    return ' '.join(out)
def gen(epoch): return (epoch - 1) % 255 + 1
assert d['version'] == 2
n = 0
for v in d['epoch']:
    assert gen(v['epoch']) == v['generation']; n += 1
for v in d['kid']:
    kid = v['slot'] << 16 | v['generation'] << 8 | v['step']
    assert kid == v['kid'] and header(kid, v['header_ctr']).hex() == v['header']; n += 1
for v in d['pairwise']:
    assert pub_of(H(v['priv_a'])) == H(v['pub_a']) and pub_of(H(v['priv_b'])) == H(v['pub_b'])
    sh, info, k = pairwise(v['session_id'].encode(), v['id_a'].encode(), H(v['priv_a']), H(v['pub_a']), v['id_b'].encode(), H(v['pub_b']))
    sh2, info2, k2 = pairwise(v['session_id'].encode(), v['id_b'].encode(), H(v['priv_b']), H(v['pub_b']), v['id_a'].encode(), H(v['pub_a']))
    assert sh.hex() == v['shared'] and info.hex() == v['info'] and k.hex() == v['key'] and k == k2; n += 1
for v in d['key_message']:
    sid = v['session_id'].encode()
    _, _, k = pairwise(sid, v['sender_id'].encode(), H(v['sender_priv']), H(v['sender_pub']), v['recipient_id'].encode(), H(v['recipient_pub']))
    assert k.hex() == v['pairwise_key']
    assert v['generation'] == gen(v['epoch'])
    aad = b'sealroom key v2' + v['sender_id'].encode() + v['recipient_id'].encode() + v['epoch'].to_bytes(4, 'big') + bytes([v['step']]) + v['sender_slot'].to_bytes(2, 'big')
    assert len(aad) == 94 and aad.hex() == v['aad']
    bk = H(v['base_key']); assert len(bk) == (16 if v['step'] == 0 else 32)
    name = v['name'].encode(); assert len(name) <= 128
    c = AESGCM(k).encrypt(H(v['nonce']), bk + name, aad)
    assert c.hex() == v['ciphertext']
    p = json.loads(v['payload'])
    assert p == {'t': 'key', 'v': 2, 'e': v['epoch'], 'r': v['step'], 'n': base64.b64encode(H(v['nonce'])).decode(), 'c': base64.b64encode(c).decode()}
    assert list(p.keys()) == ['t', 'v', 'e', 'r', 'n', 'c'] and ' ' not in v['payload']; n += 1
for v in d['ratchet']:
    k = H(v['base_key'])
    for s in v['steps']:
        k = ratchet(k); assert k.hex() == s
    n += 1
def sframe_key(base, kid):
    sk = hkdf(b'', base, b'SFrame 1.0 Secret key ' + kid.to_bytes(8, 'big') + (4).to_bytes(2, 'big'), 16)
    ss = hkdf(b'', base, b'SFrame 1.0 Secret salt ' + kid.to_bytes(8, 'big') + (4).to_bytes(2, 'big'), 12)
    return sk, ss
def enc_frame(base, kid, ctr, codec, fr):
    sk, ss = sframe_key(base, kid)
    p = prefix_len(codec, fr); hd = header(kid, ctr)
    nonce = bytes(a ^ b for a, b in zip(ss, ctr.to_bytes(12, 'big')))
    return sk, ss, p, hd, fr[:p] + hd + AESGCM(sk).encrypt(nonce, fr[p:], hd + fr[:p])
for v in d['frame']:
    kid = v['slot'] << 16 | v['generation'] << 8 | v['step']; assert kid == v['kid']
    sk, ss, p, hd, wire = enc_frame(H(v['base_key']), kid, v['ctr'], v['codec'], H(v['plaintext']))
    assert sk.hex() == v['sframe_key'] and ss.hex() == v['sframe_salt'] and p == v['prefix_len']
    assert hd.hex() == v['header'] and (hd + H(v['plaintext'])[:p]).hex() == v['aad'] and wire.hex() == v['frame'], v['description']
    n += 1
for v in d['receive']:
    if v['status'] == 'SRE_OK' and v['frame']:
        fr = H(v['frame']); codec = v['codec']; p = prefix_len(codec, fr)
        # parse header
        c = fr[p]; off = p + 1
        def field(ext, small):
            global off
            if not ext: return small
            L = small + 1; val = int.from_bytes(fr[off:off+L], 'big'); off += L; return val
        kid = field(c & 0x80, (c >> 4) & 7); ctr = field(c & 8, c & 7)
        g, s = (kid >> 8) & 255, kid & 255
        # Adding a key wipes held keys of the same generation but another epoch.
        table = []
        for k in v['keys']:
            table = [x for x in table if not (gen(x['epoch']) == gen(k['epoch']) and x['epoch'] != k['epoch'])]
            table.append(k)
        held = [k for k in table if gen(k['epoch']) == g and k['step'] <= s]
        k = max(held, key=lambda k: k['step']); base = H(k['base_key'])
        for _ in range(s - k['step']): base = ratchet(base)
        sk, ss = sframe_key(base, kid)
        nonce = bytes(a ^ b for a, b in zip(ss, ctr.to_bytes(12, 'big')))
        pt = AESGCM(sk).decrypt(nonce, fr[off:], fr[p:off] + fr[:p])
        assert (fr[:p] + pt).hex() == v['output'], v['description']
    n += 1
for v in d['chat']:
    bk = H(v['base_key']); ck = hkdf(v['session_id'].encode(), bk, b'sealroom chat v1', 16)
    assert ck.hex() == v['chat_key']
    aad = b'sealroom chat v2' + v['sender_id'].encode() + v['epoch'].to_bytes(4, 'big') + bytes([v['step']])
    assert len(aad) == 57 and aad.hex() == v['aad']
    pt = bytes([v['type']]) + v['seq'].to_bytes(4, 'big') + v['time_ms'].to_bytes(8, 'big') + v['body'].encode()
    assert pt.hex() == v['plaintext']
    c = AESGCM(ck).encrypt(H(v['nonce']), pt, aad); assert c.hex() == v['ciphertext']
    p = json.loads(v['payload'])
    assert p == {'t': 'chat', 'v': 2, 'e': v['epoch'], 'r': v['step'], 'n': base64.b64encode(H(v['nonce'])).decode(), 'c': base64.b64encode(c).decode()}; n += 1
for v in d['code']:
    sid = v['session_id'].encode(); parts = sorted(v['participants'], key=lambda p: p['id'].encode())
    assert all(len(H(p['public_key'])) == 32 and len(H(p['signing_key'])) == 32 for p in parts)
    inp = b'sealroom code v3' + len(sid).to_bytes(2, 'big') + sid + len(parts).to_bytes(2, 'big') + b''.join(
        p['id'].encode() + H(p['public_key']) + H(p['signing_key']) + len(p['name'].encode()).to_bytes(2, 'big') + p['name'].encode()
        for p in parts)
    assert inp.hex() == v['input']
    h = hashlib.sha256(inp).digest(); assert h.hex() == v['hash']
    assert digits(h, b'sealroom code digits v3', 12) == v['code'], v['description']; n += 1
for v in d['fingerprint']:
    h = hashlib.sha256(b'sealroom fp v1' + H(v['public_key'])).digest(); assert h.hex() == v['hash']
    assert digits(h, b'sealroom fp digits v1', 4) == v['fingerprint']; n += 1
print('independent check OK:', n, 'entries')
