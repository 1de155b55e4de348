// A small web app to containerise (tests): answers GET / with a greeting.
const http = require("http");
const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end("hello from a reign-built image\n");
}).listen(port, "127.0.0.1");
