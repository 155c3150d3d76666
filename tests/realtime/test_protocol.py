"""The DDP subset over /websocket: handshake, ping/pong, methods, subscriptions, errors."""

import json

import pytest
from websockets.exceptions import ConnectionClosed

from omnicontacts.realtime import session as ddp_session
from tests.realtime.ddp import Ddp
from tests.support import Api, RunningServer


def closed_with(client: Ddp) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        client.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_handshake_answers_server_id_then_connected_with_a_session(api: Api) -> None:
    client = Ddp(api.base_url)
    assert client.recv() == {"msg": "server_id", "server_id": "0"}
    client.send({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]})
    connected = client.recv()
    assert connected["msg"] == "connected"
    assert isinstance(connected["session"], str) and len(connected["session"]) == 17
    other = Ddp(api.base_url).handshake()
    assert other.session != connected["session"]
    client.close()
    other.close()


def test_a_first_message_other_than_connect_closes_with_a_protocol_error(api: Api) -> None:
    client = Ddp(api.base_url)
    client.recv()
    client.send({"msg": "ping"})
    assert closed_with(client) == 1002


def test_a_frame_that_is_not_json_closes_with_unsupported_data(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.send("{not json")
    assert closed_with(client) == 1007


def test_binary_frames_close_with_unsupported_data(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.ws.send(b'{"msg":"ping"}')
    assert closed_with(client) == 1007


def test_ping_is_answered_with_pong_with_or_without_id(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.send({"msg": "ping", "id": "abc"})
    assert client.recv() == {"msg": "pong", "id": "abc"}
    client.send({"msg": "ping"})
    assert client.recv() == {"msg": "pong"}
    # A pong from the client needs no answer; the next answer is to the next ping.
    client.send({"msg": "pong"})
    client.send({"msg": "ping", "id": "2"})
    assert client.recv() == {"msg": "pong", "id": "2"}
    client.close()


def test_sockjs_style_array_frames_are_read(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.send(json.dumps([json.dumps({"msg": "ping", "id": "x"})]))
    assert client.recv() == {"msg": "pong", "id": "x"}
    client.close()


def test_the_server_pings_a_silent_client_and_closes_it_when_it_stays_silent(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ddp_session, "IDLE_SECONDS", 0.4)
    client = Ddp(api.base_url).handshake()
    assert client.recv(timeout=3) == {"msg": "ping"}
    assert closed_with(client) == 4000


def test_a_pong_keeps_the_connection_open(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ddp_session, "IDLE_SECONDS", 0.4)
    client = Ddp(api.base_url).handshake()
    for _ in range(3):
        assert client.recv(timeout=3) == {"msg": "ping"}
        client.send({"msg": "pong"})
    client.close()


def test_method_answers_result_then_updated(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.send({"msg": "method", "method": "livechat:loginByToken", "params": ["no-such-token"], "id": "7"})
    assert client.recv() == {"msg": "result", "id": "7"}
    assert client.recv() == {"msg": "updated", "methods": ["7"]}
    client.close()


def test_an_unknown_method_is_a_404_meteor_error(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    result, updated = client.call_raw("no:such:method", 1)
    assert result["error"] == {
        "isClientSafe": True,
        "error": 404,
        "reason": "Method 'no:such:method' not found",
        "message": "Method 'no:such:method' not found [404]",
        "errorType": "Meteor.Error",
    }
    assert "result" not in result
    assert updated == {"msg": "updated", "methods": [result["id"]]}
    client.close()


def test_wrong_params_are_match_failed(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    result, _ = client.call_raw("livechat:setUpConnection", "not-an-object")
    assert result["error"] == {
        "isClientSafe": True,
        "error": 400,
        "reason": "Match failed",
        "message": "Match failed [400]",
        "errorType": "Meteor.Error",
    }
    result, _ = client.call_raw("livechat:loginByToken")
    assert result["error"]["reason"] == "Match failed"
    client.close()


@pytest.mark.parametrize(
    "message",
    [
        {"msg": "method", "method": "livechat:loginByToken", "params": ["x"]},
        {"msg": "method", "params": [], "id": "1"},
        {"msg": "sub", "name": "stream-room-messages", "params": []},
        {"msg": "sub", "id": "1", "params": []},
        {"msg": "unsub"},
    ],
)
def test_a_method_or_sub_without_its_id_or_name_closes_with_a_protocol_error(
    api: Api, message: dict[str, object]
) -> None:
    client = Ddp(api.base_url).handshake()
    client.send(message)
    assert closed_with(client) == 1002


def test_an_unknown_message_is_answered_with_a_bad_request_error(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    client.send({"msg": "dance", "id": "1"})
    assert client.recv() == {"msg": "error", "reason": "Bad request", "offendingMessage": {"msg": "dance", "id": "1"}}
    client.close()


def test_sub_to_an_unknown_stream_is_nosub_404(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    sub_id, frame = client.sub("stream-nothing", "x")
    assert frame == {
        "msg": "nosub",
        "id": sub_id,
        "error": {
            "isClientSafe": True,
            "error": 404,
            "reason": "Subscription 'stream-nothing' not found",
            "message": "Subscription 'stream-nothing' not found [404]",
            "errorType": "Meteor.Error",
        },
    }
    client.close()


def test_sub_without_an_event_name_is_invalid_event_name(api: Api) -> None:
    client = Ddp(api.base_url).handshake()
    sub_id, frame = client.sub("stream-room-messages", "")
    assert frame == {
        "msg": "nosub",
        "id": sub_id,
        "error": {
            "isClientSafe": True,
            "error": "invalid-event-name",
            "message": "[invalid-event-name]",
            "errorType": "Meteor.Error",
        },
    }
    client.close()


def test_unsub_answers_nosub_and_an_unknown_unsub_answers_nothing(api: Api, server: RunningServer) -> None:
    admin = Ddp(api.base_url).handshake()
    admin.login(server.admin_headers["X-Auth-Token"])
    sub_id = admin.subscribed("stream-notify-user", f"{server.admin_id}/subscriptions-changed")
    admin.send({"msg": "unsub", "id": sub_id})
    assert admin.recv() == {"msg": "nosub", "id": sub_id}
    admin.send({"msg": "unsub", "id": "never-subscribed"})
    admin.send({"msg": "ping", "id": "after"})
    assert admin.recv() == {"msg": "pong", "id": "after"}
    admin.close()
