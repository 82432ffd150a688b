// The drawing pad: white strokes on black (Fashion-MNIST's garments are light on a dark ground), drawn with a mouse,
// a pen or a finger. After each stroke segment (at most once a frame) the picture is shrunk to 28 x 28 and handed to
// .NET as 784 grey bytes.
window.dslconvDrawing = {
  attach(canvas, dotnet) {
    const ctx = canvas.getContext("2d");
    const small = document.createElement("canvas");
    small.width = 28;
    small.height = 28;
    const smallCtx = small.getContext("2d", { willReadFrequently: true });
    let drawing = false, last = null, pending = false;
    this.clear(canvas);

    const position = (e) => {
      const r = canvas.getBoundingClientRect();
      return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
    };
    const send = () => {
      pending = false;
      smallCtx.imageSmoothingEnabled = true;
      smallCtx.drawImage(canvas, 0, 0, 28, 28);
      const rgba = smallCtx.getImageData(0, 0, 28, 28).data;
      const grey = new Uint8Array(784);
      for (let i = 0; i < 784; i++) grey[i] = rgba[4 * i];
      dotnet.invokeMethodAsync("Drawn", grey);
    };
    const line = (from, to) => {
      ctx.strokeStyle = "white";
      ctx.lineWidth = canvas.width / 12;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
      if (!pending) {
        pending = true;
        requestAnimationFrame(send);
      }
    };
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true;
      last = position(e);
      canvas.setPointerCapture(e.pointerId);
      line(last, last);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const p = position(e);
      line(last, p);
      last = p;
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.style.touchAction = "none"; // a finger draws instead of scrolling the page
  },

  clear(canvas) {
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  },

  // Shows a 28 x 28 grey image (a test image, a dropped file as the network sees it) on the pad, scaled up.
  show(canvas, grey) {
    const small = document.createElement("canvas");
    small.width = 28;
    small.height = 28;
    const smallCtx = small.getContext("2d");
    const image = smallCtx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = grey[i];
      image.data[4 * i + 3] = 255;
    }
    smallCtx.putImageData(image, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  },
};
