// prevoir dashboard: draws the chart of the selected series with uPlot and redraws it when
// the series, horizon or history window changes (fetching /dashboard/data/chart).
// window.prevoirDashboard exposes the chart and its data (used by the browser test).
(function () {
  "use strict";

  const COLORS = {
    actual: "#1f2933",
    latest: "#d9480f",
    past: "#1971c2",
  };
  const BAND_FILL = { latest: "rgba(217, 72, 15, 0.13)", past: "rgba(25, 113, 194, 0.10)" };

  const state = { chart: null, data: null, loads: 0, error: null };
  window.prevoirDashboard = state;

  const el = (id) => document.getElementById(id);

  function fmt(value) {
    if (value == null) return "–";
    const abs = Math.abs(value);
    return abs >= 1000 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toPrecision(3);
  }

  function seriesOptions(s) {
    const group = s.key.startsWith("latest") ? "latest" : s.key.startsWith("past") ? "past" : "actual";
    const bound = s.key.includes("_lo") || s.key.includes("_hi");
    return {
      label: s.label,
      stroke: bound ? "transparent" : COLORS[group],
      width: bound ? 0 : group === "actual" ? 1.5 : 2,
      dash: group === "past" && !bound ? [6, 3] : undefined,
      points: { show: false },
      spanGaps: group !== "actual",
      value: (u, v) => fmt(v),
      show: true,
    };
  }

  function options(data, width) {
    const index = Object.fromEntries(data.series.map((s, i) => [s.key, i + 1]));
    return {
      width: width,
      height: 380,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      series: [{ label: "time (UTC)" }].concat(data.series.map(seriesOptions)),
      bands: data.bands.map((b) => ({
        series: [index[b.hi], index[b.lo]],
        fill: b.lo.startsWith("past") ? BAND_FILL.past : BAND_FILL.latest,
      })),
      axes: [{}, { label: data.task === "classification" ? "probability" : data.target, size: 60 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
  }

  function summary(data) {
    const parts = [];
    parts.push(data.origin ? `latest origin ${data.origin.replace("T", " ").slice(0, 16)} UTC` : "no forecasts yet");
    if (data.model_version != null) parts.push(`model version ${data.model_version}`);
    if (data.accuracy) {
      parts.push(`${data.horizon}-step MAE ${fmt(data.accuracy.mae)} over ${data.accuracy.n} forecasts shown`);
    }
    return parts.join(" · ");
  }

  function draw(data) {
    const box = el("chart");
    if (state.chart) state.chart.destroy();
    box.textContent = "";
    const columns = [data.x].concat(data.series.map((s) => s.values));
    state.chart = new uPlot(options(data, box.clientWidth || 900), columns, box);
    // interval bounds are drawn as bands; their legend entries would only repeat the labels
    const rows = state.chart.root.querySelectorAll(".u-legend .u-series");
    data.series.forEach((s, i) => {
      if (s.key.includes("_lo") || s.key.includes("_hi")) rows[i + 1].style.display = "none";
    });
    state.data = data;
    state.loads += 1;
    el("summary").textContent = summary(data);
  }

  async function reload() {
    const params = new URLSearchParams({
      forecaster: el("forecaster").value,
      series: el("series").value,
      horizon: el("horizon").value,
      window: el("window").value,
    });
    try {
      const response = await fetch(`/dashboard/data/chart?${params}`, { credentials: "same-origin" });
      if (response.status === 401) {
        window.location.assign("/login");
        return;
      }
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || response.statusText);
      state.error = null;
      draw(body);
      history.replaceState(null, "", `/?${params}`);
    } catch (err) {
      state.error = String(err.message || err);
      el("summary").textContent = `Could not load the chart: ${state.error}`;
    }
  }

  // the picker lists the first series; typing asks the server for the ones that match
  let searching = null;
  async function search() {
    const q = el("series-search").value;
    const params = new URLSearchParams({ forecaster: el("forecaster").value, q: q });
    const response = await fetch(`/dashboard/data/series?${params}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    if (el("series-search").value !== q) return; // a newer search is on its way
    const select = el("series");
    const current = select.value;
    select.textContent = "";
    for (const id of body.ids) select.add(new Option(id, id, false, id === current));
    state.searchResults = body;
    if (body.ids.length && !body.ids.includes(current)) {
      select.value = body.ids[0];
      select.dispatchEvent(new Event("change"));
    }
  }

  function start() {
    const box = el("series-search");
    if (box) {
      box.addEventListener("input", () => {
        clearTimeout(searching);
        searching = setTimeout(search, 200);
      });
    }
    const source = el("chart-data");
    if (source) draw(JSON.parse(source.textContent));
    el("forecaster").addEventListener("change", () => {
      window.location.assign(`/?forecaster=${encodeURIComponent(el("forecaster").value)}`);
    });
    // without a chart on the page (nothing to draw yet) a change reloads the whole page
    const onChange = source ? reload : () => el("picker").submit();
    for (const id of ["series", "horizon", "window"]) {
      const control = el(id);
      if (control) control.addEventListener("change", onChange);
    }
    window.addEventListener("resize", () => {
      if (state.chart) state.chart.setSize({ width: el("chart").clientWidth, height: 380 });
    });
  }

  start();
})();
