#!/usr/bin/env node
'use strict';
// The fast synth path: cdktf.json's "app" and `npm run synth` both run this.
const path = require('path');
require('./run-ts').loadTs(path.join(__dirname, '..', 'main.ts'));
