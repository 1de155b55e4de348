// The run page's live view: cards from the console's SSE stream, inserted with textContent only
// (tool output and model text are untrusted; nothing here ever parses text as HTML).
"use strict";
(function () {
  var box = document.getElementById("events");
  if (!box || box.dataset.live !== "yes") { return; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function block(b) {
    var wrap = el(b.long ? "details" : "div", "block");
    wrap.appendChild(el(b.long ? "summary" : "span", b.long ? "" : "label",
                        b.long ? b.label + " (" + b.lines.length + " lines)" : b.label));
    var pre = el("pre", b.diff ? "diff" : "");
    b.lines.forEach(function (line) {
      pre.appendChild(el("span", line.cls, line.text));
      pre.appendChild(document.createTextNode("\n"));
    });
    wrap.appendChild(pre);
    return wrap;
  }

  function card(c) {
    var art = el("article", "event " + c.kind);
    art.dataset.id = String(c.id);
    art.appendChild(el("h3", "", c.title));
    if (c.fields.length) {
      var dl = el("dl");
      c.fields.forEach(function (f) { dl.appendChild(el("dt", "", f.label)); dl.appendChild(el("dd", "", f.text)); });
      art.appendChild(dl);
    }
    c.blocks.forEach(function (b) { art.appendChild(block(b)); });
    return art;
  }

  var url = "/console/runs/" + encodeURIComponent(box.dataset.run) + "/events?last_event_id=" +
            encodeURIComponent(box.dataset.last);
  var source = new EventSource(url);
  source.onmessage = function (message) {
    var c = JSON.parse(message.data);
    if (document.querySelector('article.event[data-id="' + c.id + '"]')) { return; }
    box.appendChild(card(c));
    if (c.kind === "approval_required" || c.kind === "approval" || c.kind === "end") {
      // the approval forms and the final status depend on who is looking: the server renders them
      source.close();
      window.setTimeout(function () { window.location.reload(); }, 150);
    }
  };
})();
