// Recon Board in the browser: live updates from the store's event stream, filters, the unit
// drawer, stage tabs on a phone, and (with a write token pasted once per tab) the unit actions.
// Every piece of HTML comes from the server; this file only fetches it and puts it in place.
"use strict";

(() => {
  const body = document.body;
  const slug = body.dataset.slug;
  const boardToken = body.dataset.boardToken;
  const api = `/api/v1/stores/${encodeURIComponent(slug)}`;
  const boardUrl = `/board/${encodeURIComponent(boardToken)}`;
  const tokenKey = `recon-board-token:${slug}`;
  const CARD_DELAY_MS = 60; // gather the events of one change (a text often makes several)
  const REFRESH_MS = 5 * 60 * 1000; // redraw now and then: the clocks move on
  let lastSeq = Number(body.dataset.seq || 0);

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  async function getHtml(url) {
    const response = await fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${response.status} ${url}`);
    return response.text();
  }

  let toastTimer = null;
  function toast(message, error = false) {
    const box = $("#toast");
    box.textContent = message;
    box.classList.toggle("error", error);
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), error ? 6000 : 2500);
  }

  // --- columns, counts and tabs ---------------------------------------------------------

  function columns() {
    return $("#columns");
  }

  function updateCounts() {
    for (const column of $$(".column")) {
      const count = $$(".card", column).length;
      $("h2 .count", column).textContent = count;
      const tab = $(`.tab[data-tab="${column.dataset.stage}"] .count`);
      if (tab) tab.textContent = count;
    }
  }

  let activeTab = null;
  function showTab(stage) {
    const column = $(`.column[data-stage="${stage}"]`) || $(".column");
    if (!column) return;
    activeTab = column.dataset.stage;
    for (const c of $$(".column")) c.classList.toggle("active", c === column);
    for (const t of $$(".tab")) t.classList.toggle("active", t.dataset.tab === activeTab);
  }

  function initTabs() {
    const withCards = $$(".column").find((c) => $(".card", c));
    showTab(activeTab || (withCards && withCards.dataset.stage));
  }

  // A wall TV shows the whole board: shrink the type until it fits the screen.
  const tv = body.classList.contains("tv");
  function fitTv() {
    if (!tv) return;
    body.style.fontSize = "";
    let size = parseFloat(getComputedStyle(body).fontSize);
    const fits = () => document.documentElement.scrollHeight <= window.innerHeight;
    while (!fits() && size > 9) {
      size *= 0.94;
      body.style.fontSize = `${size}px`;
    }
  }

  // --- live updates --------------------------------------------------------------------

  const pendingCards = new Set();
  let cardTimer = null;
  let columnsTimer = null;
  let columnsAsked = 0; // refreshes asked for; only the latest one's answer is shown
  let reviewTimer = null;

  function narrowed() {
    return columns().dataset.narrowed === "1";
  }

  function scheduleCard(unitId) {
    // With a filter on, a change may bring a car in or take it out: redraw the columns.
    if (narrowed()) return scheduleColumns();
    pendingCards.add(unitId);
    clearTimeout(cardTimer);
    cardTimer = setTimeout(flushCards, CARD_DELAY_MS);
  }

  async function flushCards() {
    const ids = Array.from(pendingCards);
    pendingCards.clear();
    await Promise.all(ids.map(refreshCard));
    updateCounts();
    fitTv();
  }

  function placeCard(card) {
    const column = $(`.column[data-stage="${card.dataset.stage}"] .cards`);
    if (!column) return false;
    // Longest in its stage first, as the server orders them.
    const later = $$(".card", column).find(
      (other) => other !== card && other.dataset.entered > card.dataset.entered,
    );
    column.insertBefore(card, later || null);
    return true;
  }

  async function refreshCard(unitId) {
    const html = await getHtml(`${boardUrl}/cards/${unitId}`);
    const old = document.getElementById(`unit-${unitId}`);
    if (html === null) {
      if (old) old.remove();
      return;
    }
    const card = fragment(html);
    if (old && old.dataset.stage === card.dataset.stage) {
      old.replaceWith(card);
    } else {
      if (old) old.remove();
      if (!placeCard(card)) return; // its stage is not shown (sold, hidden)
    }
    card.classList.add("flash");
    const drawer = $("#drawer .drawer-inner");
    if (drawer && drawer.dataset.unit === unitId) openDrawer(unitId, { keepEdits: true });
  }

  // Someone typing in the drawer keeps it as it is; their own change redraws it.
  function editing(root) {
    const active = document.activeElement;
    if (active && root.contains(active) && active.matches("input, select, textarea")) return true;
    return $$("input:not([type=date])", root).some((field) => field.value !== "");
  }

  function scheduleColumns() {
    clearTimeout(columnsTimer);
    columnsTimer = setTimeout(refreshColumns, CARD_DELAY_MS * 2);
  }

  async function refreshColumns() {
    const asked = ++columnsAsked;
    const query = new URLSearchParams(new FormData($("#filters")));
    query.delete("tv");
    for (const [key, value] of Array.from(query.entries())) if (!value) query.delete(key);
    const html = await getHtml(`${boardUrl}/columns?${query}`);
    // An answer to filters changed since (it came back late) would undo the newer board.
    if (html === null || asked !== columnsAsked) return;
    columns().replaceWith(fragment(html));
    initTabs();
    fitTv();
    if (tv) query.set("tv", "1");
    history.replaceState(null, "", query.toString() ? `${boardUrl}?${query}` : boardUrl);
  }

  function scheduleReview() {
    clearTimeout(reviewTimer);
    reviewTimer = setTimeout(async () => {
      const html = await getHtml(`${boardUrl}/review`);
      if (html !== null) $("#review").innerHTML = html;
    }, CARD_DELAY_MS);
  }

  function apply(event) {
    if (event.type.startsWith("message.")) scheduleReview();
    if (event.unit_id) scheduleCard(event.unit_id);
  }

  function setLive(on) {
    const badge = $("#live");
    badge.classList.toggle("on", on);
    badge.textContent = on ? "live" : "reconnecting…";
  }

  let source = null;
  function connect() {
    // `after` covers the first connection (nothing missed since the page was drawn); on its
    // own reconnects EventSource sends Last-Event-ID, which the server prefers.
    const url = `${api}/stream?board_token=${encodeURIComponent(boardToken)}&after=${lastSeq}`;
    source = new EventSource(url);
    source.onopen = () => setLive(true);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      lastSeq = Math.max(lastSeq, event.seq);
      apply(event);
    };
    source.onerror = () => {
      setLive(false);
      // A refused reconnect (the server answered, but not with a stream) closes it for good:
      // open a new one that resumes from the last event seen.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 2000);
      }
    };
  }

  // --- the drawer ----------------------------------------------------------------------

  async function openDrawer(unitId, { keepEdits = false } = {}) {
    const html = await getHtml(`${boardUrl}/units/${unitId}`);
    const drawer = $("#drawer");
    // A live update leaves alone a drawer someone is typing in (checked once the new one is
    // here, so typing that started during the fetch is kept too).
    if (keepEdits && (drawer.hidden || editing(drawer))) return;
    if (html === null) {
      drawer.hidden = true;
      return;
    }
    drawer.innerHTML = html;
    drawer.hidden = false;
  }

  function closeDrawer() {
    const drawer = $("#drawer");
    drawer.hidden = true;
    drawer.innerHTML = "";
  }

  // --- changes (with a write token) ----------------------------------------------------

  function token() {
    return sessionStorage.getItem(tokenKey);
  }

  function showWriteState() {
    body.classList.toggle("can-write", Boolean(token()));
  }

  async function call(method, path, payload) {
    const headers = { Authorization: `Bearer ${token()}` };
    const init = { method, headers };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(`${api}${path}`, init);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 401) {
        sessionStorage.removeItem(tokenKey);
        showWriteState();
      }
      throw new Error(answer.detail || `${response.status}`);
    }
    return answer;
  }

  function formPayload(form) {
    const payload = {};
    for (const field of form.elements) {
      if (!field.name || field.value === "") continue;
      payload[field.name] = field.hasAttribute("data-list")
        ? field.value.split(",").map((part) => part.trim()).filter(Boolean)
        : field.value;
    }
    return payload;
  }

  async function unitAction(element, payload) {
    const unitId = element.closest(".drawer-inner").dataset.unit;
    const method = element.dataset.method;
    try {
      await call(method, `/units/${unitId}/${element.dataset.path}`, method === "DELETE" ? undefined : payload);
      toast("Saved");
      await Promise.all([openDrawer(unitId), refreshCard(unitId)]);
      updateCounts();
    } catch (error) {
      toast(error.message, true);
    }
  }

  // What each needs-review choice does, through the same unit actions.
  function reviewAction(choice, value, text) {
    const [kind, arg] = choice.split(":");
    switch (kind) {
      case "move": return ["POST", "move", { stage: arg }, `moved to ${arg}`];
      case "done": return ["POST", "done", {}, "done with its stage"];
      case "block": return ["PUT", "blocker", { kind: arg, note: value || null }, `blocked: ${arg}`];
      case "unblock": return ["DELETE", "blocker", undefined, "unblocked"];
      case "work": {
        const names = value.split(",").map((part) => part.trim()).filter(Boolean);
        return ["POST", "work-items", { names }, `work opened: ${names.join(", ")}`];
      }
      case "note": return ["POST", "notes", { body: value || text }, "added as a note"];
      case "we-owe": return ["POST", "we-owe", { item: value }, `we owe: ${value}`];
      case "ack": return ["POST", "ack", {}, "acknowledged"];
      default: return [null, null, undefined, "nothing to do"];
    }
  }

  async function resolve(form) {
    const messageId = form.dataset.message;
    const unit = form.elements.unit.value.trim();
    const text = $("blockquote", form.closest(".review-item")).textContent.replace(/^“|”$/g, "");
    const [method, path, payload, said] = reviewAction(form.elements.action.value, form.elements.value.value.trim(), text);
    try {
      if (method) {
        if (!unit) throw new Error("choose the unit (its stock number)");
        await call(method, `/units/${encodeURIComponent(unit)}/${path}`, payload);
      }
      await call("POST", `/messages/${messageId}/resolve`, { unit: unit || null, action: said });
      form.closest(".review-item").remove();
      toast("Resolved");
      scheduleReview();
    } catch (error) {
      toast(error.message, true);
    }
  }

  // --- wiring --------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const target = event.target;
    const tab = target.closest(".tab");
    if (tab) return showTab(tab.dataset.tab);
    if (target.closest("[data-close]")) return closeDrawer();
    if (target.closest("[data-token-open]")) return $("#token-dialog").showModal();
    const button = target.closest("button[data-path]");
    if (button && !button.form) return unitAction(button);
    const card = target.closest(".card");
    if (card && !tv) openDrawer(card.dataset.unit);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDrawer();
    const card = event.target.closest && event.target.closest(".card");
    if (card && event.key === "Enter") openDrawer(card.dataset.unit);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form[data-path]")) {
      event.preventDefault();
      unitAction(form, formPayload(form));
    } else if (form.matches("form.resolve")) {
      event.preventDefault();
      resolve(form);
    }
  });

  const filters = $("#filters");
  let searchTimer = null;
  filters.addEventListener("change", () => refreshColumns());
  filters.addEventListener("input", (event) => {
    if (event.target.name !== "q") return;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refreshColumns, 250);
  });
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    refreshColumns();
  });

  const dialog = $("#token-dialog");
  $("#token-forget").addEventListener("click", () => {
    sessionStorage.removeItem(tokenKey);
    showWriteState();
  });
  dialog.addEventListener("close", () => {
    const value = $("#token-input").value.trim();
    if (dialog.returnValue === "save" && value) sessionStorage.setItem(tokenKey, value);
    $("#token-input").value = "";
    showWriteState();
  });

  showWriteState();
  initTabs();
  fitTv();
  window.addEventListener("resize", fitTv);
  connect();
  setInterval(refreshColumns, REFRESH_MS);
})();
