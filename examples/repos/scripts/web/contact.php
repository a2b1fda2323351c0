<?php
declare(strict_types=1);

// Handles the contact form: validates input and stores the message.
function validate_message(array $input): array
{
    $errors = [];
    $name = trim($input['name'] ?? '');
    $body = trim($input['message'] ?? '');
    if ($name === '') {
        $errors[] = 'Name is required.';
    }
    if (mb_strlen($body) < 10) {
        $errors[] = 'Message must be at least 10 characters.';
    }
    return $errors;
}

if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $errors = validate_message($_POST);
    if ($errors) {
        http_response_code(422);
        echo json_encode(['errors' => $errors]);
        exit;
    }
    $pdo = new PDO(getenv('DSN') ?: 'sqlite:/tmp/contact.db');
    $stmt = $pdo->prepare('INSERT INTO messages (name, body) VALUES (?, ?)');
    $stmt->execute([trim($_POST['name']), trim($_POST['message'])]);
    echo json_encode(['ok' => true]);
}
