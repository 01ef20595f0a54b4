"""Building an email from the outbox: the RFC 2369 / RFC 8058 list headers stay plain ASCII
(security issue #13, finding 13), and what we keep beside the headers is never sent."""

import re

import pytest

from webapp.core.mail.models import OutboxMessage
from webapp.core.mail.outbox import build_email


def _wire(headers: dict) -> bytes:
    """The header block of the message as smtplib sends it."""
    message = OutboxMessage(message_id="<1.abc@healthdesk.local>", to_address="reader@example.com", subject="Issue",
                            body_text="Hello", body_html=None, headers=headers)
    email = build_email(message, "HealthDesk <no-reply@healthdesk.local>")
    return email.as_bytes(policy=email.policy.clone(linesep="\r\n")).split(b"\r\n\r\n", 1)[0]


def _field(head: bytes, name: bytes) -> bytes:
    return re.search(rb"^" + name + rb":(.*?)\r\n(?![ \t])", head + b"\r\n", re.MULTILINE | re.DOTALL).group(1)


@pytest.mark.parametrize("length", [10, 60, 200, 900])
def test_list_unsubscribe_is_never_encoded_whatever_its_length(length):
    url = "https://healthdesk.example/newsletter/unsubscribe/" + "T" * length
    raw = _field(_wire({"List-Unsubscribe": f"<{url}>"}), b"List-Unsubscribe")
    assert b"=?" not in raw
    assert re.sub(rb"\r\n(?=[ \t])", b"", raw).strip() == f"<{url}>".encode()
    too_long_for_a_line = len(f"List-Unsubscribe: <{url}>") > 78
    assert raw == (b"\r\n " if too_long_for_a_line else b" ") + f"<{url}>".encode()


def test_several_addresses_fold_between_them_never_inside():
    mailto = "<mailto:unsubscribe@healthdesk.example>"
    https = "<https://healthdesk.example/newsletter/unsubscribe/" + "T" * 80 + ">"
    raw = _field(_wire({"List-Unsubscribe": f"{mailto}, {https}"}), b"List-Unsubscribe")
    assert raw.split(b"\r\n") == [b" " + mailto.encode() + b",", b" " + https.encode()]


def test_non_ascii_list_headers_are_refused_rather_than_encoded():
    with pytest.raises(ValueError, match="ASCII"):
        _wire({"List-Unsubscribe": "<https://healthdesk.example/désabonner>"})


def test_our_own_keys_are_never_sent_as_headers():
    """Before migration 0005 the account id was kept in the headers as "_account_id"; a worker
    still running that code may write one, and it must not reach the recipient."""
    head = _wire({"_account_id": 987654321, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    assert b"_account_id" not in head and b"987654321" not in head
    assert _field(head, b"List-Unsubscribe-Post") == b" List-Unsubscribe=One-Click"
