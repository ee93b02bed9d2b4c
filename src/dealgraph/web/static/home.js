// The query editor: YASGUI on this server's endpoint, calling no other host.
(function () {
  "use strict";
  var element = document.getElementById("yasgui");
  var configElement = document.getElementById("yasgui-config");
  if (!element || !configElement || typeof window.Yasgui === "undefined") {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  // No completion from LOV (class and property names): they would ask another host.
  var Yasqe = window.Yasgui.Yasqe;
  if (Yasqe) {
    Yasqe.defaults.autocompleters = ["prefixes", "variables"];
    Yasqe.defaults.prefixCcApi = config.prefixes;
    delete Yasqe.Autocompleters["class"];
    delete Yasqe.Autocompleters.property;
  }
  var yasgui = new window.Yasgui(element, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: "dealgraph",
    // The catalogue offers this endpoint only (the default lists DBpedia and Wikidata).
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: config.endpoint }]; },
      keys: []
    },
    yasqe: {
      value: config.query,
      // Prefix completion from this server instead of prefix.cc; no LOV lookups.
      prefixCcApi: config.prefixes,
      autocompleters: ["prefixes", "variables"],
      editorHeight: "460px"
    },
    yasr: { prefixes: config.prefixMap, defaultPlugin: "table" }
  });
  window.dealgraphEditor = yasgui;
})();
