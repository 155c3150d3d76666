// The inbox's live parts over the server's realtime layer (Meteor DDP on /websocket): the queue,
// the agent's rooms and the open conversation refresh when the server announces a change, and
// typing shows both ways. A small client of our own: the DDP subset needed here (connect, sub,
// method, ping/pong) is a few dozen lines, where the npm DDP clients are CommonJS packages that
// would need a bundling step. The page holds no login token: the WebSocket handshake carries the
// HttpOnly session cookie, and the server signs the connection in from it (same origin only).
// Without a connection, or if the server refuses a subscription, the page polls.
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }
  var userId = meta("realtime-user");
  var username = meta("realtime-username");
  if (!userId || !window.WebSocket) return;
  var conversation = document.querySelector("[data-room]");
  var rid = conversation ? conversation.getAttribute("data-room") : "";
  var typingLine = document.getElementById("typing");
  var typingText = typingLine ? typingLine.getAttribute("data-text") : "";
  var socket = null;
  var counter = 0;
  var firstSub = "";
  var pollTimer = null;
  var typingSent = false;
  var typingTimer = null;
  var shownTypingTimer = null;

  function fire(name) {
    document.body.dispatchEvent(new CustomEvent(name));
  }
  function refreshAll() {
    fire("oc:queue-changed");
    if (rid) fire("oc:messages-changed");
  }
  function setLive(on) {
    document.body.setAttribute("data-live", on ? "on" : "off");
    if (on) {
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
    } else if (!pollTimer) {
      pollTimer = setInterval(refreshAll, 5000);
    }
  }
  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }
  function nextId() {
    counter += 1;
    return String(counter);
  }
  function call(method, params) {
    var id = nextId();
    send({ msg: "method", method: method, params: params, id: id });
    return id;
  }
  function subscribe(name, eventName) {
    var id = nextId();
    send({ msg: "sub", id: id, name: name, params: [eventName, { useCollection: false, args: [] }] });
    return id;
  }
  function showTyping(who, on) {
    if (!typingLine || who === username) return;
    typingLine.textContent = on ? who + " " + typingText : "";
    if (shownTypingTimer) clearTimeout(shownTypingTimer);
    if (on) shownTypingTimer = setTimeout(function () { typingLine.textContent = ""; }, 10000);
  }
  function onChanged(stream, eventName, args) {
    if (stream === "stream-livechat-inquiry-queue-observer" || stream === "stream-notify-user") {
      fire("oc:queue-changed");
    } else if (stream === "stream-room-messages" && eventName === rid) {
      var message = args && args[0];
      if (message && message.u) showTyping(message.u.username, false);
      fire("oc:messages-changed");
    } else if (stream === "stream-notify-room" && eventName === rid + "/typing" && args) {
      showTyping(String(args[0]), Boolean(args[1]));
    }
  }
  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/websocket");
    socket.onopen = function () {
      send({ msg: "connect", version: "1", support: ["1"] });
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.msg === "ping") {
        send({ msg: "pong" });
      } else if (frame.msg === "connected") {
        firstSub = subscribe("stream-livechat-inquiry-queue-observer", "public");
        subscribe("stream-notify-user", userId + "/subscriptions-changed");
        subscribe("stream-notify-user", userId + "/rooms-changed");
        if (rid) {
          subscribe("stream-room-messages", rid);
          subscribe("stream-notify-room", rid + "/typing");
        }
      } else if (frame.msg === "nosub" && frame.error) {
        socket.close(); // not signed in (the session ended): poll until a new connection is
      } else if (frame.msg === "ready" && frame.subs && frame.subs.indexOf(firstSub) >= 0) {
        setLive(true);
        refreshAll(); // whatever happened before the subscriptions began
      } else if (frame.msg === "changed" && frame.fields) {
        onChanged(frame.collection, frame.fields.eventName, frame.fields.args);
      }
    };
    socket.onclose = function () {
      setLive(false);
      setTimeout(connect, 5000);
    };
  }
  function typing(on) {
    if (!rid || typingSent === on) return;
    typingSent = on;
    call("stream-notify-room", [rid + "/typing", username, on]);
  }
  var box = document.getElementById("msg");
  if (box) {
    box.addEventListener("input", function () {
      typing(box.value.length > 0);
      if (typingTimer) clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing(false); }, 4000);
    });
    box.form.addEventListener("submit", function () { typing(false); });
  }
  setLive(false);
  connect();
})();
