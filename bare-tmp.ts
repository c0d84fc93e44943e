import http from 'node:http';
const body = JSON.stringify({status:'ok'});
http.createServer({ noDelay: true, keepAlive: true }, (req, res) => { req.on('data', () => {}); req.on('end', () => { res.writeHead(200, {'content-type':'application/json'}); res.end(body); }); }).listen(18788, '127.0.0.1');
setTimeout(() => process.exit(0), 6000);
