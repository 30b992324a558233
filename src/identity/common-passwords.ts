/**
 * A short built-in list of very common passwords (lower-case), from public breach top lists and
 * their Vietnamese counterparts. A password equal to one of them, or one of them followed by
 * digits or punctuation, is refused. Deliberately small: the length rule does most of the work.
 */
export const commonPasswords: ReadonlySet<string> = new Set([
  '123456', '1234567', '12345678', '123456789', '1234567890', '12345678910', '123456789012', '1234567890123',
  '111111', '000000', '112233', '121212', '123123', '654321', '666666', '888888', '999999', '987654321', '147258369',
  'password', 'passw0rd', 'password1', 'p@ssw0rd', 'p@ssword', 'qwerty', 'qwertyuiop', 'qwerty123', 'asdfghjkl',
  'zxcvbnm', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', 'qazwsx', 'abc123', 'abcd1234', 'abcdef', 'abcdefgh',
  'iloveyou', 'letmein', 'welcome', 'welcome1', 'admin', 'admin123', 'administrator', 'root', 'toor', 'changeme',
  'monkey', 'dragon', 'football', 'baseball', 'master', 'sunshine', 'princess', 'shadow', 'superman', 'trustno1',
  'starwars', 'whatever', 'freedom', 'secret', 'test', 'test123', 'guest', 'default', 'login', 'hello', 'hellohello',
  'matkhau', 'matkhau123', 'matkhaumoi', 'anhyeuem', 'emyeuanh', 'yeuem', 'iloveu', 'vietnam', 'vietnam123',
  'hanoi', 'saigon', 'hochiminh', 'nguyen', 'tran', 'le', 'pham', 'hoang', 'huynh', 'phan', 'vu', 'vo', 'dang',
  'bui', 'do', 'ho', 'ngo', 'duong', 'ly', 'conyeu', 'baby', 'thienthan', 'muadong', 'hoahong', 'khongbiet',
  'sachsong', 'sachsong123', 'dancu', 'dancu123', 'canbo', 'canbo123', 'congan', 'congan123', 'quantri', 'quantri123',
]);
