import { describe, expect, it } from "vitest";
import { holdsCardNumber, maskCardNumbers, redactCardNumbers } from "./card-numbers.ts";

describe("card numbers", () => {
  it("masks card numbers however they are written, and keeps the last four digits", () => {
    expect(maskCardNumbers("card 4111 1111 1111 1111 cvv 123")).toBe("card **** **** **** 1111 cvv 123");
    expect(maskCardNumbers("4111 1111 1111 1111 123")).toBe("**** **** **** 1111 ***");
    expect(maskCardNumbers("Qty 2 4012 8888 8888 1881")).toBe("Qty 2 **** **** **** 1881");
    expect(maskCardNumbers("5555-5555-5555-4444 12/27")).toBe("****-****-****-4444 **/27");
    expect(maskCardNumbers("４２４２ ４２４２ ４２４２ ４２４２")).toBe("**** **** **** 4242");
    expect(maskCardNumbers("4\u200b1\u200b1\u200b1111111111111")).toBe("************1111");
    expect(maskCardNumbers("378282246310005")).toBe("***********0005");
    // Not cards: fewer than 13 digits in a run.
    expect(maskCardNumbers("order 20261130-42, call +46 8 123 456 78")).toBe("order 20261130-42, call +46 8 123 456 78");
    // A long number with any 13–19-digit stretch passing the Luhn check is masked there: better a
    // masked reference than a card in a mailbox.
    expect(maskCardNumbers("4111 1111 1111 1112")).toBe("411* **** **** 1112");
  });

  it("leaves a text without a card number exactly as it was, and masks one that has", () => {
    for (const plain of ["Ｆｕｌｌ width ｌｅｔｔｅｒｓ and a soft\u00adhyphen", "ticket 20261130-42", "", "ﬁ ligature 123 456"]) {
      expect(redactCardNumbers(plain)).toBe(plain);
      expect(holdsCardNumber(plain)).toBe(false);
    }
    expect(redactCardNumbers("My card: 4111-1111-1111-1111, exp 12/27")).toBe("My card: ****-****-****-1111, exp 12/27");
    expect(holdsCardNumber("pay with ４１１１ １１１１ １１１１ １１１１")).toBe(true);
  });
});
