#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the MSRP parser vectors: NAME.msrp (raw stream, CRLF exact), NAME.json (expected
msw-msrp-parse output lines) and, for limit cases, NAME.args (tool options).

The expected JSON is computed here from the frame descriptions by an independent Python
model of RFC 4975 section 9 / the docs/msrp.md output format, never by running the C parser.
Run from anywhere: python3 tests/vectors/msrp/gen_vectors.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def jstr(b):
    """JSON string of bytes with the Latin-1 mapping (byte b -> U+00XX)."""
    if isinstance(b, str):
        b = b.encode('latin-1')
    out = ['"']
    for c in b:
        if c in (0x22, 0x5c):
            out.append('\\' + chr(c))
        elif c < 0x20 or c == 0x7f:
            out.append('\\u%04x' % c)
        else:
            out.append(chr(c))
    out.append('"')
    return ''.join(out)


def jval(v):
    if v is None:
        return 'null'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (str, bytes)):
        return jstr(v)
    if isinstance(v, list):
        return '[' + ','.join(jval(x) for x in v) + ']'
    raise TypeError(v)


def jobj(pairs):
    return '{' + ','.join(jstr(k) + ':' + jval(v) for k, v in pairs) + '}'


class Frame:
    """One MSRP frame: start line, header lines, optional body, end-line."""

    def __init__(self, tid, first, headers, body=None, flag='$', raw_body_sep=b'\r\n'):
        self.tid = tid
        self.first = first  # method (str) or (code, comment|None)
        self.headers = headers
        self.body = body.encode('latin-1') if isinstance(body, str) else body
        self.flag = flag
        self.sep = raw_body_sep

    def wire(self):
        if isinstance(self.first, str):
            start = 'MSRP %s %s' % (self.tid, self.first)
        else:
            code, comment = self.first
            start = 'MSRP %s %03d' % (self.tid, code)
            if comment is not None:
                start += ' ' + comment
        w = (start + '\r\n').encode('latin-1')
        for n, v in self.headers:
            w += ('%s: %s\r\n' % (n, v)).encode('latin-1')
        if self.body is not None:
            w += b'\r\n' + self.body + self.sep
        w += ('-------%s%s\r\n' % (self.tid, self.flag)).encode('latin-1')
        return w

    def hdr(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def json(self):
        to_path = self.hdr('To-Path').split(' ')
        from_path = self.hdr('From-Path').split(' ')
        headers = [[n, v] for n, v in self.headers]
        if not isinstance(self.first, str):
            code, comment = self.first
            return jobj([('kind', 'response'), ('tid', self.tid), ('status_code', code),
                         ('comment', comment), ('to_path', to_path), ('from_path', from_path),
                         ('flag', self.flag), ('headers', headers)])
        br = self.hdr('Byte-Range')
        if br is not None:
            rng, total = br.split('/')
            start, end = rng.split('-')
            br = [int(start), None if end == '*' else int(end),
                  None if total == '*' else int(total)]
        st = self.hdr('Status')
        if st is not None:
            parts = st.split(' ', 2)
            st = [parts[0], int(parts[1]), parts[2] if len(parts) > 2 else None]
        sr = self.hdr('Success-Report')
        fr = self.hdr('Failure-Report')
        return jobj([('kind', 'request'), ('tid', self.tid), ('method', self.first),
                     ('to_path', to_path), ('from_path', from_path),
                     ('message_id', self.hdr('Message-ID')), ('byte_range', br),
                     ('flag', self.flag), ('content_type', self.hdr('Content-Type')),
                     ('success_report', sr.lower() if sr else None),
                     ('failure_report', fr.lower() if fr else None),
                     ('status', st), ('headers', headers),
                     ('body', self.body if self.body is not None else b'')])


def err(code, offset):
    return jobj([('kind', 'error'), ('error', code), ('offset', offset)])


VECTORS = {}


def valid(name, frames, args=None):
    wire = b''.join(f.wire() for f in frames)
    VECTORS[name] = (wire, [f.json() for f in frames], args)


def invalid(name, frames, bad, code, args=None):
    """frames: valid frames first (their JSON lines), then bad raw bytes failing with code."""
    wire = b''.join(f.wire() for f in frames)
    off = len(wire)
    if isinstance(bad, Frame):
        bad = bad.wire()
    VECTORS[name] = (wire + bad, [f.json() for f in frames] + [err(code, off)], args)


# ---- RFC 4975 examples (section 4 SEND/200, 5.1 chunks, 10.1 session) and shapes
# modelled on its sections 7.1-7.2 (reports, chunking, abort) ----
ALICE = 'msrp://atlanta.example.com:7654/jshA7weztas;tcp'
BOB = 'msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp'
valid('rfc4975_s4_send_200', [
    Frame('a786hjs2', 'SEND', [('To-Path', BOB), ('From-Path', ALICE),
                               ('Message-ID', '87652491'), ('Byte-Range', '1-25/25'),
                               ('Content-Type', 'text/plain')], 'Hey Bob, are you there?'),
    Frame('a786hjs2', (200, 'OK'), [('To-Path', ALICE), ('From-Path', BOB)]),
])

A2 = 'msrp://alicepc.example.com:7777/iau39soe2843z;tcp'
B2 = 'msrp://bob.example.com:8888/9di4eae923wzd;tcp'
valid('rfc4975_s10_1_basic_session', [
    Frame('d93kswow', 'SEND', [('To-Path', B2), ('From-Path', A2),
                               ('Message-ID', '12339sdqwer'), ('Byte-Range', '1-16/16'),
                               ('Content-Type', 'text/plain')], "Hi, I'm Alice!"),
    Frame('d93kswow', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
])

# Section 5.1 chunking example ("abcd" then "EFGH" of an 8-byte message). The RFC prints
# it without To-Path/From-Path for brevity; here with the section 10.1 paths, and the
# literal form (no paths) is a negative vector below.
valid('rfc4975_s5_1_chunks', [
    Frame('dkei38sd', 'SEND', [('To-Path', A2), ('From-Path', B2),
                               ('Message-ID', '4564dpWd'), ('Byte-Range', '1-*/8'),
                               ('Content-Type', 'text/plain')], 'abcd', '+'),
    Frame('dkei38ia', 'SEND', [('To-Path', A2), ('From-Path', B2),
                               ('Message-ID', '4564dpWd'), ('Byte-Range', '5-8/8'),
                               ('Content-Type', 'text/plain')], 'EFGH'),
    Frame('dkei38sd', (200, 'OK'), [('To-Path', B2), ('From-Path', A2)]),
    Frame('dkei38ia', (200, 'OK'), [('To-Path', B2), ('From-Path', A2)]),
])
invalid('err_header_order_rfc4975_s5_1_literal', [], (
    'MSRP dkei38sd SEND\r\nMessage-ID: 4564dpWd\r\nByte-Range: 1-*/8\r\n'
    'Content-Type: text/plain\r\n\r\nabcd\r\n-------dkei38sd+\r\n').encode(), 'header_order')

HTML = ('<html><body>\r\n<p>Here is that important link...\r\n'
        '<a href="http://www.example.com/foobar">foobar</a>\r\n</p>\r\n</body></html>')
valid('positive_report', [
    Frame('d93kswow', 'SEND', [('To-Path', B2), ('From-Path', A2),
                               ('Message-ID', '12339sdqwer'),
                               ('Byte-Range', '1-%d/%d' % (len(HTML), len(HTML))),
                               ('Success-Report', 'yes'), ('Failure-Report', 'no'),
                               ('Content-Type', 'text/html')], HTML),
    Frame('d93kswow', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
    Frame('dkei38sd', 'REPORT', [('To-Path', A2), ('From-Path', B2),
                                 ('Message-ID', '12339sdqwer'),
                                 ('Byte-Range', '1-%d/%d' % (len(HTML), len(HTML))),
                                 ('Status', '000 200 OK')]),
])

XHTML = ('<html xmlns="http://www.w3.org/1999/xhtml">\r\n<body>\r\n'
         '<p>See you at the <b>meeting</b></p>\r\n</body>\r\n</html>')
valid('xhtml_body', [
    Frame('7443ee8', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', '9n9s9wqwe'),
                              ('Byte-Range', '1-%d/%d' % (len(XHTML), len(XHTML))),
                              ('Content-Type', 'application/xhtml+xml')], XHTML),
    Frame('7443ee8', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
])

# Section 7.1.4 / 10.3: a chunked message, the second chunk interrupted and aborted ('#').
valid('chunked_abort_413', [
    Frame('sjd7a7w3', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'aj4b8z9q'),
                               ('Byte-Range', '1-10/30'), ('Content-Type', 'text/plain')],
          '0123456789', '+'),
    Frame('sjd7a7w4', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'aj4b8z9q'),
                               ('Byte-Range', '11-*/30'), ('Content-Type', 'text/plain')],
          'abcde', '#'),
    Frame('sjd7a7w3', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
    Frame('sjd7a7w4', (413, 'Stop sending this message'), [('To-Path', A2), ('From-Path', B2)]),
])

# Failure report (section 7.1.2 / 10.6 style): REPORT with an error Status.
valid('failure_report_481', [
    Frame('kd9es7g5', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', '4564dpWd'),
                               ('Byte-Range', '1-5/5'), ('Failure-Report', 'partial'),
                               ('Content-Type', 'text/plain')], 'Hello'),
    Frame('kd9es7g5', (481, 'Session-does-not-exist'), [('To-Path', A2), ('From-Path', B2)]),
    Frame('dj8s9wdd', 'REPORT', [('To-Path', A2), ('From-Path', B2), ('Message-ID', '4564dpWd'),
                                 ('Byte-Range', '1-5/5'), ('Status', '000 481 no such session')]),
])

# ---- RFC 4976 section 7 AUTH example, its other headers, a multi-hop To-Path ----
AR = 'msrps://alice@intra.example.com;tcp'
AC = 'msrps://alice.example.com:9892/98cjs;tcp'
RELAY = 'msrps://intra.example.com:9000/jui787s2f;tcp'
valid('rfc4976_s7_auth', [
    Frame('49fh', 'AUTH', [('To-Path', AR), ('From-Path', AC)]),
    Frame('49fh', (401, 'Unauthorized'), [
        ('To-Path', AC), ('From-Path', AR),
        ('WWW-Authenticate', 'Digest realm="intra.example.com", qop="auth", '
         'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"')]),
    Frame('49fi', 'AUTH', [
        ('To-Path', AR), ('From-Path', AC),
        ('Authorization', 'Digest username="Alice", realm="intra.example.com", '
         'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop=auth, nc=00000001, '
         'cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"')]),
    Frame('49fi', (200, 'OK'), [('To-Path', AC), ('From-Path', AR), ('Use-Path', RELAY),
                                ('Expires', '900')]),
])
# RFC 4976 section 5 headers not in its examples: Authentication-Info, Min-/Max-Expires (423).
valid('rfc4976_expires_and_auth_info', [
    Frame('49fk', (200, 'OK'), [('To-Path', AC), ('From-Path', AR), ('Use-Path', RELAY),
                                ('Expires', '900'),
                                ('Authentication-Info', 'nextnonce="47364c23432d2e131a5fb210812c"')]),
    Frame('49fj', 'AUTH', [('To-Path', AR), ('From-Path', AC), ('Expires', '60')]),
    Frame('49fj', (423, 'Interval Out-of-Bounds'), [('To-Path', AC), ('From-Path', AR),
                                                   ('Min-Expires', '300'),
                                                   ('Max-Expires', '86400')]),
])
valid('relay_send_multi_hop', [
    Frame('6aef', 'SEND', [('To-Path', RELAY + ' msrps://bob.example.com:8888/9di4ea;tcp'),
                           ('From-Path', AC), ('Message-ID', '87652'),
                           ('Content-Type', 'text/plain')], 'Hi Bob'),
    Frame('6aef', (200, 'OK'), [('To-Path', AC),
                                ('From-Path', RELAY + ' msrps://bob.example.com:8888/9di4ea;tcp')]),
])

# ---- other valid shapes ----
valid('response_no_comment', [
    Frame('abcd', (200, None), [('To-Path', A2), ('From-Path', B2)]),
])
valid('other_method_and_ext_headers', [
    Frame('n1ck', 'NICKNAME', [('To-Path', 'msrp://conf.example.com:2855/s1;tcp'),
                               ('From-Path', A2), ('Use-Nickname', '"Alice"'),
                               ('X-Private_Hdr', 'anything: goes here'),
                               # hname = ALPHA *token (RFC 4975 §9): token has . ! # $ % & ' * + ^ ` | ~
                               ('X.Vendor!#$%&\'*+^`|~-1', 'v')]),
])
valid('body_contains_dashes', [
    Frame('tr4nsact', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'm1d2m3d4'),
                               ('Content-Type', 'text/plain')],
          'line\r\n-------\r\n-------other$\r\n-------tr4nsac$\r\n-------tr4nsactx$\r\n'
          '-------tr4nsact\r\n-------tr4nsact$X\r\n-------tr4nsact%\r\nend'),
])
valid('body_binary', [
    Frame('b1n4ry', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'bin00001'),
                             ('Byte-Range', '1-256/256'),
                             ('Content-Type', 'application/octet-stream')],
          bytes(range(256))),
])
valid('body_empty_and_absent', [
    Frame('e1mpty', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'e0000001'),
                             ('Content-Type', 'text/plain')], ''),
    Frame('e2mpty', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'e0000002')]),
    Frame('e3mpty', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'e0000003'),
                             ('Byte-Range', '1-0/0')], b'', raw_body_sep=b''),
])
valid('body_crlf_edges', [
    Frame('c1rlf', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'c0000001'),
                            ('Content-Type', 'text/plain')], '\r\n'),
    Frame('c2rlf', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'c0000002'),
                            ('Content-Type', 'text/plain')], '\r\r\n\n\r-'),
    Frame('c3rlf', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'c0000003'),
                            ('Content-Type', 'text/plain')], '\r\n-------c3rlf'),
])
valid('mime_headers_and_reports', [
    Frame('m1me', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'x.y-z+w%5=6'),
                           ('Byte-Range', '1-*/*'), ('Success-Report', 'no'),
                           ('Failure-Report', 'partial'), ('X-Ext', ''),
                           ('Content-ID', '<part1@example.com>'),
                           ('Content-Description', 'a greeting'),
                           ('Content-Disposition', 'inline'),
                           ('Content-Type', 'message/cpim; charset=utf-8')],
          'From: <sip:alice@example.com>\r\n\r\nContent-Type: text/plain\r\n\r\nhi'),
    Frame('m2me', 'REPORT', [('To-Path', A2), ('From-Path', B2), ('Message-ID', 'x.y-z+w%5=6'),
                             ('Status', '000 200')]),
])
valid('uri_forms', [
    Frame('ur1s', 'SEND', [
        ('To-Path', 'msrp://[2001:db8::1]:2855/s/e+s=s;tcp MSRPS://192.0.2.7/abc;TCP;foo=bar;x'),
        ('From-Path', 'msrp://user:pw@host-1.example.com:1/~a.b_c;ws'),
        ('Message-ID', 'uri00001')]),
])
valid('utf8_and_latin1_values', [
    Frame('u7f8', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'utf80001'),
                           ('Subject', 'caf\xc3\xa9 \t tab'),
                           ('Content-Type', 'text/plain; charset=utf-8')],
          'caf\xc3\xa9 \xe2\x82\xac \x00\x1f\x7f"\\'),
    Frame('u7f8', (200, 'D\xc3\xa9j\xc3\xa0 vu'), [('To-Path', A2), ('From-Path', B2)]),
])
valid('header_names_case_insensitive', [
    Frame('c4se', 'SEND', [('to-path', B2), ('FROM-PATH', A2), ('message-id', 'case0001'),
                           ('BYTE-RANGE', '1-2/2'), ('success-REPORT', 'YES'),
                           ('content-type', 'text/plain')], 'ok'),
    Frame('c4se', (200, 'OK'), [('TO-PATH', A2), ('from-path', B2)]),
])
valid('pipelined_mixed', [OK for OK in [
    Frame('p1pe', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'pipe0001'),
                           ('Byte-Range', '1-3/6'), ('Content-Type', 'text/plain')], 'abc', '+'),
    Frame('p2pe', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'pipe0001'),
                           ('Byte-Range', '4-6/6'), ('Content-Type', 'text/plain')], 'def'),
    Frame('p1pe', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
    Frame('p2pe', (200, 'OK'), [('To-Path', A2), ('From-Path', B2)]),
    Frame('r3pt', 'REPORT', [('To-Path', A2), ('From-Path', B2), ('Message-ID', 'pipe0001'),
                             ('Byte-Range', '1-6/6'), ('Status', '000 200 OK')]),
]])
valid('empty_stream', [])
valid('max_tid_length', [
    Frame('A' * 32, 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'z' * 32),
                             ('Content-Type', 'text/plain')], '-' * 40),
])

# ---- invalid: one per error code, some after valid frames (offset > 0) ----
OK1 = Frame('ok000001', 'SEND', [('To-Path', B2), ('From-Path', A2), ('Message-ID', 'okmsg001'),
                                 ('Content-Type', 'text/plain')], 'fine')
invalid('err_start_line_http', [], b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'start_line')
invalid('err_start_line_after_frame', [OK1], b'HTTP/1.1 200 OK\r\n', 'start_line')
invalid('err_start_line_lower_method', [], b'MSRP abcd send\r\nTo-Path: ' +
        B2.encode() + b'\r\n', 'start_line')
invalid('err_start_line_status', [OK1], b'MSRP abcd 20 OK\r\n', 'start_line')
invalid('err_start_line_no_method', [], b'MSRP abcdefgh\r\n', 'start_line')
invalid('err_start_line_bare_lf', [], b'MSRP abcd SEND\n', 'start_line')
invalid('err_start_line_junk_prefix', [], b'\r\nMSRP abcd SEND\r\n', 'start_line')
invalid('err_start_line_immediate', [], b'X', 'start_line')
invalid('err_bad_tid_short', [], b'MSRP abc SEND\r\n', 'bad_tid')
invalid('err_bad_tid_char', [OK1], b'MSRP ab_cd SEND\r\n', 'bad_tid')
invalid('err_bad_tid_long', [], b'MSRP ' + b'a' * 33 + b' SEND\r\n', 'bad_tid')
invalid('err_bad_tid_endline', [], ('MSRP abcd 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n'
                                    '-------abce$\r\n' % (A2, B2)).encode(), 'bad_tid')


def bad_send(*extra, body='x', pre=None):
    hdrs = [('To-Path', B2), ('From-Path', A2)] + list(extra)
    return Frame('bad00001', 'SEND', hdrs if pre is None else pre, body)


invalid('err_header_syntax_no_space', [], bad_send(('Message-ID', 'm1')).wire().replace(
    b'Message-ID: m1', b'Message-ID:m1'), 'header_syntax')
invalid('err_header_syntax_report_value', [OK1], bad_send(
    ('Message-ID', 'abcd1234'), ('Success-Report', 'maybe'), ('Content-Type', 'text/plain')),
    'header_syntax')
invalid('err_header_syntax_after_content_type', [], bad_send(
    ('Message-ID', 'abcd1234'), ('Content-Type', 'text/plain'), ('X-After', '1')),
    'header_syntax')
invalid('err_header_syntax_bad_uri', [], bad_send(
    ('Message-ID', 'abcd1234'), pre=[('To-Path', 'http://example.com/'), ('From-Path', A2),
                                     ('Message-ID', 'abcd1234')]), 'header_syntax')
invalid('err_header_syntax_uri_no_transport', [], bad_send(
    pre=[('To-Path', 'msrp://example.com:2855/abc'), ('From-Path', A2),
         ('Message-ID', 'abcd1234')]), 'header_syntax')
invalid('err_header_syntax_dup_message_id', [], bad_send(
    ('Message-ID', 'abcd1234'), ('Message-ID', 'abcd1235'), ('Content-Type', 'text/plain')),
    'header_syntax')
invalid('err_header_syntax_control_char', [], bad_send(
    ('Message-ID', 'abcd1234'), ('X-Bad', 'a\x01b'), ('Content-Type', 'text/plain')),
    'header_syntax')
invalid('err_header_syntax_bad_message_id', [], bad_send(
    ('Message-ID', 'a b'), ('Content-Type', 'text/plain')), 'header_syntax')
invalid('err_header_syntax_bad_status', [], Frame('rep00001', 'REPORT', [
    ('To-Path', B2), ('From-Path', A2), ('Message-ID', 'abcd1234'), ('Status', '200 OK')]),
    'header_syntax')
invalid('err_header_syntax_response_body', [], Frame('rsp00001', (200, 'OK'), [
    ('To-Path', B2), ('From-Path', A2)], 'body'), 'header_syntax')
invalid('err_header_syntax_bad_flag', [], ('MSRP abcd 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n'
                                           '-------abcd!\r\n' % (A2, B2)).encode(),
        'header_syntax')
invalid('err_header_syntax_bare_lf', [], ('MSRP abcd SEND\r\nTo-Path: %s\r\nFrom-Path: %s\n'
                                         % (A2, B2)).encode(), 'header_syntax')
invalid('err_header_order_from_first', [], bad_send(pre=[
    ('From-Path', A2), ('To-Path', B2), ('Message-ID', 'abcd1234'),
    ('Content-Type', 'text/plain')]), 'header_order')
invalid('err_header_order_message_id_second', [OK1], bad_send(pre=[
    ('To-Path', B2), ('Message-ID', 'abcd1234'), ('From-Path', A2),
    ('Content-Type', 'text/plain')]), 'header_order')
invalid('err_header_order_only_to_path', [], Frame('rsp00001', (200, 'OK'), [('To-Path', B2)]),
        'header_order')
invalid('err_missing_header_send_message_id', [], bad_send(('Content-Type', 'text/plain')),
        'missing_header')
invalid('err_missing_header_report_status', [OK1], Frame('rep00001', 'REPORT', [
    ('To-Path', B2), ('From-Path', A2), ('Message-ID', 'abcd1234')]), 'missing_header')
invalid('err_missing_header_report_message_id', [], Frame('rep00001', 'REPORT', [
    ('To-Path', B2), ('From-Path', A2), ('Status', '000 200 OK')]), 'missing_header')
for i, br in enumerate(['0-5/10', '5-3/10', '1-20/10', 'a-5/10', '1-5', '1-5/', '-5/10',
                        '1-99999999999999999999999/*', '12/10-1/10']):
    invalid('err_bad_byte_range_%d' % i, [OK1] if i % 2 else [], bad_send(
        ('Message-ID', 'abcd1234'), ('Byte-Range', br), ('Content-Type', 'text/plain')),
        'bad_byte_range')
invalid('err_no_content_type', [], bad_send(('Message-ID', 'abcd1234'), body='hello'),
        'no_content_type')
invalid('err_no_content_type_mime_only', [OK1], bad_send(
    ('Message-ID', 'abcd1234'), ('Content-ID', '<x@y>'), body=None), 'no_content_type')
invalid('err_too_large_body', [OK1], bad_send(
    ('Message-ID', 'abcd1234'), ('Content-Type', 'text/plain'), body='0123456789A'),
    'too_large', args=['--max-chunk', '10'])
invalid('err_too_large_header_block', [], bad_send(
    ('Message-ID', 'abcd1234'), ('X-Long', 'y' * 300), ('Content-Type', 'text/plain')),
    'too_large', args=['--max-header', '256'])
invalid('err_too_large_unterminated_line', [], b'MSRP abcd SEND\r\nTo-Path: ' + b'z' * 400,
        'too_large', args=['--max-header', '256'])
invalid('err_too_large_header_count', [], bad_send(
    *([('Message-ID', 'abcd1234')] + [('X-H%d' % i, 'v') for i in range(40)] +
      [('Content-Type', 'text/plain')])), 'too_large')
invalid('err_too_large_endline_other_tid', [], bad_send(
    ('Message-ID', 'abcd1234'), ('Content-Type', 'text/plain'), body='x' * 20).wire()
    .replace(b'-------bad00001$', b'-------bad00002$') + b'y' * 64, 'too_large',
    args=['--max-chunk', '64'])
invalid('err_truncated_in_body', [OK1], OK1.wire()[:-5], 'truncated')
invalid('err_truncated_in_headers', [], OK1.wire()[:30], 'truncated')
invalid('err_truncated_prefix', [OK1], b'MS', 'truncated')
invalid('err_truncated_in_endline_crlf', [], OK1.wire()[:-1], 'truncated')


def main():
    for f in os.listdir(HERE):
        if f.endswith(('.msrp', '.json', '.args')):
            os.unlink(os.path.join(HERE, f))
    for name, (wire, lines, args) in sorted(VECTORS.items()):
        with open(os.path.join(HERE, name + '.msrp'), 'wb') as fh:
            fh.write(wire)
        with open(os.path.join(HERE, name + '.json'), 'w', encoding='utf-8') as fh:
            fh.write(''.join(line + '\n' for line in lines))
        if args:
            with open(os.path.join(HERE, name + '.args'), 'w') as fh:
                fh.write(' '.join(args) + '\n')
    print('%d vectors' % len(VECTORS))


if __name__ == '__main__':
    main()
