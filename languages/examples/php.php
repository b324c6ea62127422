<?php
echo "What is your name? ";
$name = trim(fgets(STDIN));
echo "Hello, $name!\n";
