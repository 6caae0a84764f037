/* Camera barcode / QR scan for the inspection phone flow (issue #14). The browser's BarcodeDetector
 * when it has one, else the vendored ZXing decoder (static/vendor/zxing, Apache-2.0), loaded on first
 * use with a <script src> (no eval: works under the strict CSP). Each video frame is drawn to a
 * canvas and decoded there, so both paths read the same pixels; OpsdeskScan.decodeCanvas is the
 * decoding step on its own (tests feed it a drawn image). Typing or pasting a code keeps working. */
(function () {
  "use strict";
  var cached = null;

  function loadZxing(url) {
    return new Promise(function (resolve, reject) {
      if (window.ZXing) { resolve(window.ZXing); return; }
      var s = document.createElement("script");
      s.src = url;
      s.onload = function () { window.ZXing ? resolve(window.ZXing) : reject(new Error("ZXing missing")); };
      s.onerror = function () { reject(new Error("ZXing not loaded")); };
      document.head.appendChild(s);
    });
  }

  function decoder(url) {
    if (cached) { return cached; }
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector();
      cached = Promise.resolve(function (canvas) {
        return detector.detect(canvas).then(function (codes) { return codes.length ? codes[0].rawValue : null; },
          function () { return null; });
      });
      cached.engine = "BarcodeDetector";
      return cached;
    }
    cached = loadZxing(url).then(function (ZXing) {
      var reader = new ZXing.MultiFormatReader();
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
      reader.setHints(hints);
      return function (canvas) {
        try {
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(new ZXing.HTMLCanvasElementLuminanceSource(canvas)));
          return Promise.resolve(reader.decodeWithState(bitmap).getText());
        } catch (e) {
          return Promise.resolve(null); // NotFoundException: no code in this frame
        }
      };
    });
    cached.engine = "zxing";
    return cached;
  }

  function start(video, url, onCode, onError) {
    var stopped = false;
    var stream = null;
    var canvas = document.createElement("canvas");
    function stop() {
      stopped = true;
      if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); }
      video.srcObject = null;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { onError(new Error("no camera")); return stop; }
    Promise.all([decoder(url), navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })])
      .then(function (got) {
        var decode = got[0];
        stream = got[1];
        if (stopped) { stop(); return; }
        video.srcObject = stream;
        video.setAttribute("playsinline", "");
        video.muted = true;
        return video.play().then(function () {
          function tick() {
            if (stopped) { return; }
            if (video.videoWidth) {
              canvas.width = video.videoWidth;
              canvas.height = video.videoHeight;
              canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0);
              decode(canvas).then(function (text) {
                if (stopped) { return; }
                if (text) { stop(); onCode(text); } else { setTimeout(tick, 200); }
              });
            } else {
              setTimeout(tick, 200);
            }
          }
          tick();
        });
      })
      .catch(function (err) { stop(); onError(err); });
    return stop;
  }

  window.OpsdeskScan = {
    decodeCanvas: function (canvas, url) { return decoder(url).then(function (d) { return d(canvas); }); },
    engine: function (url) { return decoder(url).then(function () { return cached.engine; }); },
    start: start
  };
})();
