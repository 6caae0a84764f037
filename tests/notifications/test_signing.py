"""Signatures against the vendors' documented vectors.

Aliyun RPC signature v1: two worked examples from Aliyun's documentation —
  * the generic "签名机制" example (DescribeRegions, AccessKeyId testid / secret testsecret,
    SignatureNonce 3ee8c1b8-…, expected StringToSign and Signature CT9X0VtwR86fNWSnsc6v8YGOjuE=);
  * the SMS "HTTP协议及签名" demo (SendSms, testId / testSecret, SignatureNonce 45e25e9b-…,
    Signature zJDF+Lrzhj/ThnlvIToysFRq6t4=).
DingTalk and Feishu publish the algorithm and sample code but no input/output vector, so their
signatures are checked against an independent HMAC-SHA256 written from RFC 2104 with hashlib
only (itself pinned to the RFC 4231 test vector), not against Python's hmac module."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, unquote, urlsplit

from notifications.signing import (
    aliyun_canonical_query,
    aliyun_percent_encode,
    aliyun_rpc_signature,
    aliyun_signed_query,
    aliyun_string_to_sign,
    dingtalk_sign,
    dingtalk_signed_url,
    feishu_sign,
)

DESCRIBE_REGIONS = {
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "Version": "2014-05-26",
    "SignatureVersion": "1.0",
}

SEND_SMS_DEMO = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_documented_describe_regions_example():
    # The documentation prints the inner "&" separators unencoded; in the string actually signed
    # they are percent-encoded once more (%26), like everything after "GET&%2F&".
    assert aliyun_string_to_sign(DESCRIBE_REGIONS) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert aliyun_rpc_signature(DESCRIBE_REGIONS, access_key_secret="testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_aliyun_documented_send_sms_demo():
    assert aliyun_canonical_query(SEND_SMS_DEMO) == (
        "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou"
        "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
        "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
        "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
        "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
    )
    assert aliyun_rpc_signature(SEND_SMS_DEMO, access_key_secret="testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    query = aliyun_signed_query(SEND_SMS_DEMO, access_key_secret="testSecret")
    assert query.startswith("Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&")


def test_aliyun_percent_encoding_special_rules():
    assert aliyun_percent_encode("a b") == "a%20b"  # space is %20, never +
    assert aliyun_percent_encode("*") == "%2A"
    assert aliyun_percent_encode("~-_.") == "~-_."  # unreserved stay
    assert aliyun_percent_encode("/+=:") == "%2F%2B%3D%3A"
    assert aliyun_percent_encode("运维") == "%E8%BF%90%E7%BB%B4"


def test_signature_parameter_is_excluded_from_the_string_to_sign():
    assert aliyun_rpc_signature({**SEND_SMS_DEMO, "Signature": "x"}, access_key_secret="testSecret") == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


# --- DingTalk / Feishu against an independent HMAC ------------------------------------------


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> bytes:
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\x00")
    inner = hashlib.sha256(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.sha256(bytes(k ^ 0x5C for k in key) + inner).digest()


def test_independent_hmac_matches_rfc4231_test_case_2():
    digest = rfc2104_hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert digest.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_dingtalk_sign_matches_independent_computation():
    secret = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
    timestamp = 1577262236757
    expected = base64.b64encode(rfc2104_hmac_sha256(secret.encode(), f"{timestamp}\n{secret}".encode())).decode()
    assert dingtalk_sign(timestamp_ms=timestamp, secret=secret) == expected


def test_dingtalk_signed_url_url_encodes_the_sign():
    secret = "this is secret"
    # pick a timestamp whose signature contains characters that must be URL-encoded
    for timestamp in range(1577262236757, 1577262236757 + 200):
        raw = dingtalk_sign(timestamp_ms=timestamp, secret=secret)
        if "+" in raw or "/" in raw:
            break
    url = dingtalk_signed_url(webhook_url="https://oapi.dingtalk.com/robot/send?access_token=abc",
                              timestamp_ms=timestamp, secret=secret)
    query = urlsplit(url).query
    sign_part = [p for p in query.split("&") if p.startswith("sign=")][0][5:]
    assert "+" not in sign_part and "/" not in sign_part and "=" not in sign_part
    assert unquote(sign_part) == raw
    assert parse_qs(query)["timestamp"] == [str(timestamp)]
    assert parse_qs(query)["access_token"] == ["abc"]


def test_feishu_sign_matches_independent_computation():
    secret = "demo-secret"
    timestamp = 1599360473
    expected = base64.b64encode(rfc2104_hmac_sha256(f"{timestamp}\n{secret}".encode(), b"")).decode()
    assert feishu_sign(timestamp=timestamp, secret=secret) == expected
    # the key is timestamp+secret, the message empty: not the DingTalk construction
    assert feishu_sign(timestamp=timestamp, secret=secret) != dingtalk_sign(timestamp_ms=timestamp, secret=secret)
