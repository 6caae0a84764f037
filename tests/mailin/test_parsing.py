"""Decoding hostile and foreign mail (pure: no server, no database)."""

from __future__ import annotations

import base64

import pytest

from mailin.parsing import (
    MailRejected,
    decode_header_text,
    html_to_text,
    parse_mail,
    strip_reply_prefixes,
    subject_numbers,
)


def b64_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@pytest.mark.parametrize("charset", ["gb2312", "gbk", "utf-8", "GB18030"])
def test_chinese_encoded_word_subjects(charset):
    assert decode_header_text(f"{b64_word('服务器故障', charset)} {b64_word('请处理', charset)}") == "服务器故障请处理"


def test_gbk_characters_labelled_gb2312_still_decode():
    # 镕 is in GBK but not in GB2312: mislabelled mails are common
    word = f"=?gb2312?B?{base64.b64encode('朱镕基'.encode('gbk')).decode()}?="
    assert decode_header_text(word) == "朱镕基"


def test_unknown_charset_and_broken_bytes_never_raise():
    raw = (b"From: a@b.test\r\nSubject: =?x-klingon?Q?caf=E9?=\r\nContent-Type: text/plain; charset=x-klingon\r\n"
           b"\r\n\xff\xfe broken \xe9t\xe9\r\n")
    parsed = parse_mail(raw)
    assert "caf" in parsed.subject
    assert "broken" in parsed.body


def test_header_injection_in_an_encoded_subject_becomes_one_line():
    evil = base64.b64encode(b"hello\r\nBcc: victim@example.com").decode()
    assert decode_header_text(f"=?utf-8?B?{evil}?=") == "hello Bcc: victim@example.com"


def test_a_from_header_with_two_addresses_or_garbage_is_no_sender():
    parsed = parse_mail(b"From: not an address\r\nSubject: x\r\n\r\nbody")
    assert parsed.from_address == ""


def test_html_only_mail_becomes_safe_text():
    raw = (b"From: a@b.test\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
           b"<body><p>Printer &amp; scanner</p><p>3rd&nbsp;floor <b>now</b></p><img src=x onerror=alert(2)></body></html>")
    parsed = parse_mail(raw)
    assert parsed.body == "Printer & scanner\n\n3rd\xa0floor now" or parsed.body.replace("\xa0", " ") == "Printer & scanner\n\n3rd floor now"
    assert "alert" not in parsed.body and "<" not in parsed.body and "color" not in parsed.body


def test_html_to_text_keeps_lists_on_lines():
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "- one\n\n- two"


def test_nested_mime_bomb_is_refused_with_a_reason():
    raw = b"From: a@b.test\r\nSubject: bomb\r\n" + b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() for i in range(20))
    with pytest.raises(MailRejected, match="nested"):
        parse_mail(raw)


def test_many_parts_are_refused():
    parts = b"".join(b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(150))
    raw = b"From: a@b.test\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts + b"--B--\r\n"
    with pytest.raises(MailRejected, match="MIME parts"):
        parse_mail(raw)


def test_attachment_with_rfc2231_chinese_name():
    raw = (b"From: a@b.test\r\nSubject: att\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
           b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 data") + b"\r\n--B--\r\n")
    parsed = parse_mail(raw)
    assert parsed.body == "see attached"
    assert [(a.name, a.data) for a in parsed.attachments] == [("报告.pdf", b"%PDF-1.4 data")]


def test_path_in_attachment_name_is_flattened():
    raw = (b"From: a@b.test\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n--B--\r\n")
    assert parse_mail(raw).attachments[0].name == "_.._etc_passwd"


@pytest.mark.parametrize(("headers", "reply"), [
    ("Auto-Submitted: auto-replied", True),
    ("X-Autoreply: yes", True),
    ("Precedence: auto_reply", True),
    ("Return-Path: <>", True),
    ("Auto-Submitted: auto-generated", False),
    ("Precedence: bulk", False),
    ("List-Id: <ops.lists.example.com>", False),
])
def test_machine_mail_is_recognised(headers, reply):
    parsed = parse_mail(f"From: a@b.test\r\n{headers}\r\nSubject: s\r\n\r\nbody".encode())
    assert parsed.auto_kind and parsed.auto_reply is reply


def test_a_person_is_not_a_machine():
    parsed = parse_mail(b"From: a@b.test\r\nAuto-Submitted: no\r\nSubject: s\r\n\r\nbody")
    assert parsed.auto_kind == "" and not parsed.auto_reply


def test_our_own_message_id_and_address_are_loops():
    own = parse_mail(b"From: x@y.test\r\nMessage-ID: <opsdesk.inc-000001.abc@desk.example>\r\n\r\nb",
                     own_domains={"desk.example"})
    assert own.auto_reply
    ours = parse_mail(b"From: Desk <desk@desk.example>\r\n\r\nb", own_addresses={"desk@desk.example"})
    assert ours.auto_reply


def test_thread_ids_in_reply_to_first_then_references_newest_first():
    parsed = parse_mail(b"From: a@b.test\r\nIn-Reply-To: <c@x>\r\nReferences: <a@x> <b@x>\r\n <c@x>\r\n\r\nb")
    assert parsed.thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


def test_subject_numbers_and_reply_prefixes():
    assert subject_numbers("Re: [INC-000012] 回复: REQ-000345 and XINC-000001") == ["INC-000012", "REQ-000345"]
    assert strip_reply_prefixes("回复: Re：[INC-000012] 打印机") == "打印机"


def test_nul_and_control_bytes_never_reach_the_database():
    raw = (b"From: a@b.test\r\nSubject: =?utf-8?B?" + base64.b64encode(b"bad\x00sub\x07ject") + b"?=\r\n"
           b"Message-ID: <x\x00y@z>\r\n\r\nbody\x00with nul")
    parsed = parse_mail(raw)
    assert "\x00" not in parsed.subject + parsed.body + parsed.message_id
    assert parsed.subject == "bad sub ject" and parsed.body == "bodywith nul"
