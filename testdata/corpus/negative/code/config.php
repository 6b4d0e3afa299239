<?php
$password = getenv('DB_PASSWORD');
$apiKey = $_ENV['API_KEY'] ?? null;
$secret = env('APP_SECRET');
