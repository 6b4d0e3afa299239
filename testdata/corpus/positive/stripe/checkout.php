<?php
require 'vendor/autoload.php';
\Stripe\Stripe::setApiKey('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');
$session = \Stripe\Checkout\Session::create(['mode' => 'payment', 'line_items' => $items]);
