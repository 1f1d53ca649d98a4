"""Korean: the words of the floor, short and polite, as a restaurant's staff say them.

Ids are the English templates; placeholders (``{name}``) are kept and may move.
Robot serials, table names and a robot's own error text are never translated.

Long because it is a table of data, one entry per English phrase, not code.
"""

from __future__ import annotations

KO: dict[str, str] = {}

# -- the controller's plain words (fleet/controller/explain.py) ------------------------
KO.update({
    "table {name}": "테이블 {name}",
    "pass {name}": "픽업대 {name}",
    "dish return {name}": "퇴식구 {name}",
    "charger {name}": "충전기 {name}",
    "parking {name}": "대기 장소 {name}",
    "host stand {name}": "안내 데스크 {name}",
    "the table": "테이블",
    "the pass": "픽업대",
    "the dish return": "퇴식구",
    "the charger": "충전기",
    "the parking": "대기 장소",
    "the host stand": "안내 데스크",
    "by {place}": "{place} 옆",
    "at ({x}, {y}) m": "({x}, {y}) m 지점",
    "{n} dish": "요리 {n}개",
    "{n} dishes": "요리 {n}개",
    "{text}": "{text}",
    "offline: not heard from yet": "오프라인: 아직 응답 없음",
    "offline for {s} s": "{s}초째 오프라인",
    "e-stop pressed": "비상 정지 버튼 눌림",
    "fault": "고장",
    "fault: {error}": "고장: {error}",
    "in manual mode": "수동 모드",
    "paused by the manager": "관리자가 일시정지함",
    "paused on the robot": "로봇에서 일시정지됨",
    "waiting for {robot} to clear the aisle {where}": "{where} 통로에서 {robot} 통과 대기 중",
    "stepped aside for other robots: goes on when its way is clear":
        "다른 로봇에게 길을 비켜 줌: 길이 트이면 다시 출발",
    "cannot unload: {reason}": "내릴 수 없음: {reason}",
    "at {place}: dish not taken yet ({s} s)": "{place}: 손님 수령 대기 ({s}초)",
    "at {place}: waiting for staff to load {dishes}": "{place}: 직원이 {dishes} 싣기를 대기",
    "at {place}: waiting for {dish}, expected ready in {s} s":
        "{place}: {dish} 대기, {s}초 후 준비 예정",
    "at {place}: waiting for {dish}, expected ready {s} s ago":
        "{place}: {dish} 대기, {s}초 전 준비 예정이었음",
    "at {place}: waiting for dirty dishes ({s} s)": "{place}: 빈 그릇 대기 ({s}초)",
    "at {place}: waiting for staff to unload": "{place}: 직원이 내려 주기를 대기",
    "it reports {error}": "로봇 보고: {error}",
    "nothing it reports explains it": "로봇 보고로는 원인을 알 수 없음",
    "out of service: {reason} (resume it once fixed)":
        "운행 중지: {reason} (고친 뒤 재개하세요)",
    "to dock {dock} (off duty)": "도크 {dock} 이동 중 (운행 종료)",
    "off duty at dock {dock}": "운행 종료, 도크 {dock}",
    "off duty at dock {dock}, charging {battery} %":
        "운행 종료, 도크 {dock}에서 충전 중 {battery}%",
    "finishing its trip": "운행 마무리 중",
    "serving {place}": "{place} 서빙 중",
    "to {place} with {dishes}": "{place}에 {dishes} 배달 중",
    "loading at {place}": "{place}에서 적재 중",
    "to {place} to load": "적재하러 {place} 이동 중",
    "collecting at {place}": "{place}에서 그릇 수거 중",
    "to {place} to collect": "그릇 수거하러 {place} 이동 중",
    "unloading {dishes} at {place}": "{place}에서 {dishes} 내리는 중",
    "returning {dishes} to {place}": "{place}에 {dishes} 반납하러 가는 중",
    "unloading at {place}": "{place}에서 내리는 중",
    "back to {place}": "{place} 복귀 중",
    "to {place} to charge": "충전하러 {place} 이동 중",
    "stepping aside": "길 비켜 주는 중",
    "to {place}": "{place} 이동 중",
    "holding {dishes} to take back": "반납할 {dishes} 싣고 있음",
    "charging, {battery} %": "충전 중, {battery}%",
    "parked at {name}": "{name}에서 대기 중",
    "idle at {place}": "{place}에서 대기",
    "idle": "대기",
})

# -- words the fleet API sends as values, shown translated -----------------------------
KO.update({
    "working": "작업 중", "charging": "충전 중", "paused": "일시정지",
    "e-stopped": "비상 정지", "manual": "수동", "offline": "오프라인",
    "serve": "서빙", "bus": "퇴식", "charge": "충전", "park": "대기", "unload": "반납",
    "cancelled": "취소됨", "failed": "실패",
    "info": "안내", "warning": "주의", "critical": "긴급",
    "active": "작업 중", "act": "작업", "chg": "충전", "paus": "정지", "faulted": "고장",
    "FAULT": "고장", "off": "끊김",
})

# -- the dashboard: tables, header, banners, map ---------------------------------------
KO.update({
    "Robot": "로봇", "Mode": "상태", "Batt": "배터리", "Trays": "트레이",
    "Doing / waiting": "작업 / 대기", "Trip": "운행",
    "Wait": "대기", "Table": "테이블", "Order": "주문", "Dish": "요리", "Where": "위치",
    "Age": "경과", "Level": "등급", "Alert": "알림",
    "Robots": "로봇", "Orders": "주문", "Alerts": "알림", "Events": "이벤트",
    "{wait} LATE": "{wait} 지연",
    "no robot selected": "선택한 로봇 없음",
    "(paused by you: p resumes)": "(관리자 일시정지: p 키로 재개)",
    "battery {battery} %": "배터리 {battery}%",
    "battery {battery} % charging": "배터리 {battery}% 충전 중",
    "trays {loaded}/{trays}": "트레이 {loaded}/{trays}",
    "trip {trip}: {kind}": "운행 {trip}: {kind}",
    "at the pass": "픽업대 대기",
    "high at the pass": "우선, 픽업대 대기",
    "pass": "픽업대",
    "high pass": "급 픽업",
    "kitchen": "조리",
    "in the kitchen": "주방 조리 중",
    "high {where}": "우선, {where}",
    "assigned to {robot}": "{robot}에 배정",
    "loaded on {robot}": "{robot}에 적재",
    "on the way on {robot}": "{robot} 배달 중",
    "at the table on {robot}": "{robot} 테이블 도착",
    "{robot} assigned": "{robot} 배정",
    "{robot} loaded": "{robot} 적재",
    "{robot} →": "{robot} →",
    "{robot} at table": "{robot} 도착",
    "served": "서빙됨",
    "served by staff": "직원 서빙",
    "served {ago} ago": "{ago} 전 서빙",
    "served by staff {ago} ago": "{ago} 전 직원 서빙",
    "{title}: waiting for the controller's figures...": "{title}: 컨트롤러 수치 대기 중...",
    "waiting": "대기",
    "wait": "대기",
    "oldest {wait}": "최장 {wait}",
    "on robots {n}": "배달 중 {n}",
    "{n} on robots": "배달 {n}",
    "mean wait 15 min": "15분 평균 대기",
    "mean": "평균",
    "{n} served": "서빙 {n}",
    "robots": "로봇",
    "{n} open orders": "진행 주문 {n}",
    "{n} open": "주문 {n}",
    # the header's figures over the last hour (fleet/dashboard/kpis.py)
    "mean wait": "평균 대기",
    "open orders": "진행 주문",
    "on robots": "배달 중",
    "served 15 min": "15분 서빙",
    "active robots": "작업 로봇",
    "Hour": "1시간",
    # one dish's history (fleet/dashboard/dishviews.py, dishscreen.py)
    "History": "이력",
    "Every event of the selected dish, with times (also Enter in the orders)":
        "선택한 요리의 모든 기록과 시각 (주문 목록에서 Enter도 됨)",
    "history of {dish}": "{dish} 이력",
    "Dish {dish}": "요리 {dish}",
    "for {table}": "{table}행",
    "order {order}": "주문 {order}",
    "waited {wait} from the pass to the table": "픽업대에서 테이블까지 {wait} 대기",
    "Time": "시각",
    "After": "경과",
    "What happened": "내용",
    "{n} events. Esc closes.": "기록 {n}건. Esc로 닫기.",
    "No events of this dish were kept. Esc closes.": "이 요리의 기록이 없습니다. Esc로 닫기.",
    "assigned": "배정됨",
    "loaded": "적재됨",
    "on the way": "배달 중",
    "at the table": "테이블 도착",
    "Show or hide the last hour's figures under the header (hidden at first on a small "
    "screen)": "헤더 아래 지난 1시간 수치 보기/숨기기 (작은 화면에서는 처음에 숨김)",
    "disconnected: {error}": "연결 끊김: {error}",
    "connecting to the broker...": "브로커에 연결하는 중...",
    "broker lost, reconnecting...": "브로커 연결 끊김, 다시 연결하는 중...",
    "waiting for the controller...": "컨트롤러를 기다리는 중...",
    "the service has ended: the controller was stopped on purpose (q quits)":
        "영업 종료: 컨트롤러를 정상적으로 멈췄습니다 (q 키로 닫기)",
    "controller offline: robots keep their last orders; nothing new is dispatched":
        "컨트롤러 오프라인: 로봇은 마지막 지시대로 움직이고, 새 배차는 없습니다",
    "ALL ROBOTS STOPPED (e-stop). Press g to release them.":
        "모든 로봇 정지 (비상 정지). g 키를 누르면 해제됩니다.",
    "free": "빈 자리", "blocked": "차단", "route": "경로", "planned": "계획",
    "floor: {name}": "매장: {name}",
    "the fleet source closed": "데이터 연결이 닫혔습니다",
})

# -- the dashboard: keys, help, palette, notifications ---------------------------------
KO.update({
    "New": "새주문", "New order for a table": "테이블 새 주문",
    "Ready": "준비",
    "Mark the selected order's dishes ready at the pass":
        "선택한 주문의 요리를 픽업대 준비 완료로 표시",
    "Cancel": "취소", "Cancel the selected order": "선택한 주문 취소",
    "By staff": "직원 서빙",
    "The selected order's table: its dishes waiting at the pass were carried by staff "
    "(asks first)": "선택한 주문의 테이블: 픽업대 요리를 직원이 서빙함 (확인 후)",
    "Hurry": "우선", "High priority for the selected order (again: normal)":
        "선택한 주문 우선 처리 (한 번 더: 보통)",
    "Pause": "멈춤", "Pause the selected robot (resume if paused)":
        "선택한 로봇 일시정지 (정지 중이면 재개)",
    "Charge": "충전", "Send the selected robot to charge": "선택한 로봇 충전 보내기",
    "Dock": "도크", "Send the selected robot to its dock": "선택한 로봇 도크로 보내기",
    "E-STOP": "비상정지", "E-stop all robots (asks first)": "모든 로봇 비상 정지 (확인 후)",
    "Release": "해제", "Release all robots after an e-stop": "비상 정지 후 모든 로봇 해제",
    "Block or unblock a table": "테이블 차단 / 해제",
    "Zone": "구역", "Block or unblock a zone": "구역 차단 / 해제",
    "Ack": "확인", "Acknowledge the selected alert": "선택한 알림 확인",
    "Help": "도움말", "Show the keys": "키 보기",
    "Quit": "종료", "Quit the dashboard": "대시보드 종료",
    "Move the cursor in the focused table": "선택한 표에서 커서 이동",
    "Next table (robots, orders, alerts)": "다음 표 (로봇, 주문, 알림)",
    "Command palette: every action, and each robot's commands":
        "명령 팔레트: 모든 기능과 로봇별 명령",
    "palette": "명령",
    "key: {key}": "키: {key}",
    "robot": "로봇",
    "Pause {robot}": "{robot} 일시정지",
    "Resume {robot}": "{robot} 재개",
    "Send {robot} to charge": "{robot} 충전 보내기",
    "Send {robot} to its dock": "{robot} 도크로 보내기",
    "pause {robot}": "{robot} 일시정지",
    "resume {robot}": "{robot} 재개",
    "send {robot} to charge": "{robot} 충전 보내기",
    "send {robot} to its dock": "{robot} 도크로 보내기",
    "Select an order first (Tab moves between tables).": "먼저 주문을 선택하세요 (Tab: 표 이동).",
    "Select a robot first (Tab moves between tables).": "먼저 로봇을 선택하세요 (Tab: 표 이동).",
    "Select an alert first (Tab moves between tables).": "먼저 알림을 선택하세요 (Tab: 표 이동).",
    "Nothing selected": "선택한 항목 없음",
    "{what}: no reply": "{what}: 응답 없음",
    "done": "완료",
    "refused": "거부됨",
    "{what}: refused": "{what}: 거부됨",
    "The floor plan has not arrived yet.": "아직 매장 도면을 받지 못했습니다.",
    "new order {order} for {table}": "테이블 {table} 새 주문 {order}",
    "mark {order} ready": "주문 {order} 준비 완료",
    "{order}: high priority": "{order}: 우선 처리",
    "{order}: normal priority": "{order}: 보통 순서",
    "cancel {order}": "주문 {order} 취소",
    "Cancel order {order}?": "주문 {order}을(를) 취소할까요?",
    "Cancel it": "주문 취소",
    "{table}: served by staff": "{table}: 직원 서빙",
    "Dishes for {table} waiting at the pass: carried to the table by staff?":
        "픽업대에서 기다리던 테이블 {table}의 요리를 직원이 서빙했나요?",
    "Carried by staff": "직원이 서빙함",
    "e-stop all": "전체 비상 정지",
    "E-stop: stop [b]every[/b] robot where it stands?":
        "비상 정지: [b]모든[/b] 로봇을 그 자리에 세울까요?",
    "Stop all": "모두 정지",
    "release all": "전체 해제",
    "block table {name}": "테이블 {name} 차단",
    "unblock table {name}": "테이블 {name} 차단 해제",
    "block zone {name}": "구역 {name} 차단",
    "unblock zone {name}": "구역 {name} 차단 해제",
    "Alert {alert} is out of view; the cursor is on the top alert shown now. Press a again "
    "to acknowledge it.": "알림 {alert}번이 화면 밖에 있습니다. 커서를 지금 보이는 맨 위 "
                         "알림으로 옮겼습니다. 확인하려면 a 키를 한 번 더 누르세요.",
    "Not acknowledged": "확인 안 됨",
    "acknowledge alert {alert}": "알림 {alert}번 확인",
    "Keys": "키", "Map": "지도", "Close": "닫기",
    "Robots: an arrow for the heading, coloured by mode; the selected robot (the robots "
    "table's cursor) in magenta. P pass, C charger, D dish return, H host stand, K parking. "
    "Esc closes this.": "로봇: 화살표는 방향, 색은 상태입니다. 선택한 로봇(로봇 표의 커서)은 "
                        "자홍색. P 픽업대, C 충전기, D 퇴식구, H 안내 데스크, K 대기 장소. "
                        "Esc로 닫습니다.",
})

# -- the dashboard's forms and their errors --------------------------------------------
KO.update({
    "New order [b]{order}[/b]": "새 주문 [b]{order}[/b]",
    "e.g. A3": "예: A3",
    "Dishes (comma separated; name:2 for a dish on two trays)":
        "요리 (쉼표로 구분, 트레이 두 칸이면 이름:2)",
    "soup, steak, cake": "된장찌개, 불고기, 공깃밥",
    "Note": "메모", "optional": "선택 사항",
    "High priority": "우선 처리", "Ready at the pass": "픽업대 준비 완료",
    "Submit": "등록",
    "Yes": "예", "No": "아니요", "No (n)": "아니요 (n)",
    "type a table name": "테이블 이름을 입력하세요",
    "type a place name": "장소 이름을 입력하세요",
    "type a zone name": "구역 이름을 입력하세요",
    "no table {name} on this floor": "이 매장에 테이블 {name}이(가) 없습니다",
    "no place {name} on this floor": "이 매장에 장소 {name}이(가) 없습니다",
    "no zone {name} on this floor": "이 매장에 구역 {name}이(가) 없습니다",
    "(tables: {names})": "(테이블: {names})",
    "(places: {names})": "(장소: {names})",
    "(zones: {names})": "(구역: {names})",
    "(it has no tables)": "(테이블이 없습니다)",
    "(it has no places)": "(장소가 없습니다)",
    "(it has no zones)": "(구역이 없습니다)",
    "{item}: trays after ':' must be a number": "{item}: ':' 뒤 트레이 수는 숫자로 입력하세요",
    "{item}: a dish takes 1 to 8 trays": "{item}: 요리 하나에 트레이는 1~8칸입니다",
    "{item}: a dish name has 1 to 64 characters": "{item}: 요리 이름은 1~64자입니다",
    "type at least one dish (names separated by commas)":
        "요리를 하나 이상 입력하세요 (쉼표로 구분)",
    "at most {n} dishes in one order": "한 주문에 요리는 최대 {n}개입니다",
    "{what}: {value} is not a number": "{what}: {value}은(는) 숫자가 아닙니다",
    "rectangle": "사각형", "size": "크기",
    "a rectangle is four numbers in metres: x0 y0 x1 y1":
        "사각형은 미터 단위 숫자 네 개입니다: x0 y0 x1 y1",
    "x0 y0 is the lower left corner: x0 < x1 and y0 < y1":
        "x0 y0은 왼쪽 아래 꼭짓점입니다: x0 < x1, y0 < y1",
    "the rectangle is off the floor (x {left} to {right}, y {bottom} to {top} m)":
        "사각형이 매장 밖에 있습니다 (x {left}~{right}, y {bottom}~{top} m)",
    "{name} has no position on the plan": "{name}: 도면에 위치가 없습니다",
    "Zones of the plan: {names}": "도면의 구역: {names}",
    "none": "없음",
    "Blocked now: {names}": "현재 차단: {names}",
    "Zone (a new name for a new area)": "구역 (새 구역은 새 이름으로)",
    "e.g. spill by A4": "예: A4 옆 쏟음",
    "New area round a table or place, and its size in metres":
        "테이블이나 장소 둘레의 새 구역과 크기(m)",
    "e.g. A4": "예: A4",
    "or a rectangle in metres: x0 y0 x1 y1 (lower left first)":
        "또는 미터 단위 사각형: x0 y0 x1 y1 (왼쪽 아래 먼저)",
    "e.g. 3 4.5 4 5.5": "예: 3 4.5 4 5.5",
    "Reason (for blocking)": "사유 (차단할 때)",
    "e.g. spill": "예: 음식 쏟음",
    "Block": "차단", "Unblock": "해제",
    "give a place or a rectangle, not both": "장소와 사각형 중 하나만 입력하세요",
    "name the table or place the size is round": "크기를 적용할 테이블이나 장소를 입력하세요",
    "the size is 0.25 to 10 metres": "크기는 0.25~10 m입니다",
    "table {name} is not blocked": "테이블 {name}: 차단되어 있지 않습니다",
    "zone {name} is not blocked": "구역 {name}: 차단되어 있지 않습니다",
    "name the new area (e.g. spill by A4)": "새 구역 이름을 입력하세요 (예: A4 옆 쏟음)",
    "spill by {place}": "{place} 옆 쏟음",
    "a zone {name} exists already: give the new area a new name":
        "구역 {name}이(가) 이미 있습니다: 새 구역에는 새 이름을 주세요",
    "a name starts with a letter or digit (any language) and goes on with letters, digits, "
    "spaces and _ . : - (not / + #), 64 characters at most":
        "이름은 글자나 숫자(어느 언어든)로 시작하고 글자, 숫자, 공백, _ . : - 만 쓸 수 "
        "있습니다 (/ + # 불가, 최대 64자)",
})

# -- alerts' headlines (fleet/api/alerts.py); their details stay as written -------------
KO.update({
    "{robot} is offline": "{robot} 오프라인",
    "{robot} is e-stopped": "{robot} 비상 정지됨",
    "{robot} is faulted": "{robot} 고장",
    "{robot} is in manual mode": "{robot} 수동 모드",
    "{robot}: on another map": "{robot}: 다른 지도 사용 중",
    "{robot}: battery low": "{robot}: 배터리 부족",
    "{robot}: battery low ({percent} %)": "{robot}: 배터리 부족 ({percent}%)",
    "{robot}: no route": "{robot}: 경로 없음",
    "{robot} made no progress": "{robot} 멈춰 있음",
    "{robot} cannot be unloaded": "{robot}: 요리를 내릴 수 없음",
    "{robot} taken out of dispatch": "{robot} 배차 제외",
    "{robot} lacks an action": "{robot}: 지원하지 않는 동작",
    "{robot} cannot be placed": "{robot}: 위치를 알 수 없음",
    "{headline}: {detail}": "{headline}: {detail}",
    "deadlock broken": "교착 상태 해소",
    "deadlock broken: {detail}": "교착 상태 해소: {detail}",
    "order {order}": "주문 {order}",
    "a dish": "요리 하나",
    "{what}: dish failed": "{what}: 서빙 실패",
    "{what}: dish failed: {detail}": "{what}: 서빙 실패: {detail}",
    "dishes late at the pass": "픽업대 요리 지연",
    "dishes late at the pass: {detail}": "픽업대 요리 지연: {detail}",
    "{alert} (cleared)": "{alert} (해제됨)",
})

# -- fleet demo's own lines (its errors and the simulation's report stay English) -------
KO.update({
    "fleet demo: no terminal here, so no dashboard: running --headless":
        "fleet demo: 터미널이 없어 대시보드 없이 --headless로 실행합니다",
    "{name} (site {site}): {robots} simulated robots, {scenario}, speed x{speed}":
        "{name} (사이트 {site}): 시뮬레이션 로봇 {robots}대, {scenario}, 속도 x{speed}",
    "{clock}  served {served} in 15 min, mean wait {wait}; waiting {waiting}, on robots "
    "{on_robots}; robots {active} on trips, {charging} charging, {faulted} faulted, "
    "{offline} offline":
        "{clock}  15분간 서빙 {served}, 평균 대기 {wait}; 픽업 대기 {waiting}, 배달 중 "
        "{on_robots}; 로봇 운행 {active}, 충전 {charging}, 고장 {faulted}, 오프라인 {offline}",
    "starting the embedded broker, the controller and {robots} robots ...":
        "내장 브로커, 컨트롤러, 로봇 {robots}대를 시작합니다 ...",
    "fleet demo: interrupted; the site stopped": "fleet demo: 중단됨, 사이트를 멈췄습니다",
    "the site's log and report: {path}": "사이트 로그와 보고서: {path}",
    "the dashboard is at {url} (Ctrl-C stops the demo)":
        "대시보드 주소: {url} (Ctrl-C로 데모 종료)",
})

# -- the controller's notes on a robot that waits (fleet/controller/stopstart.py, core.py)
KO.update({
    "waiting: {place} is in a zone the manager blocked":
        "대기: {place}이(가) 관리자가 차단한 구역 안에 있음",
    "waiting for a free spot at {place}": "{place} 빈자리 대기 중",
    "waiting for a free spot at {place} ({n} ahead)": "{place} 빈자리 대기 중 (앞에 {n}대)",
    "finishing its previous move": "이전 이동 마무리 중",
    "cannot route yet: {reason}": "아직 경로 없음: {reason}",
    "{note} ({robots} asked to step aside)": "{note} ({robots}에 길 비켜 달라고 요청함)",
    "waiting to join traffic: {reason}": "주행 합류 대기: {reason}",
})

# -- the events log (fleet/controller: core, orderbook, dishprogress, tripwork, robots) --
KO.update({
    "{robot} online": "{robot} 온라인",
    "{robot} offline": "{robot} 오프라인",
    "{robot} connectionbroken": "{robot} 연결 끊김",
    "{robot}: {old} -> {new}": "{robot}: {old} → {new}",
    "deadlock: {detail}": "교착 상태: {detail}",
    "stall broken: {detail}": "정체 해소: {detail}",
    "{robot} battery low: {percent} % (below {low} %)":
        "{robot} 배터리 부족: {percent}% ({low}% 미만)",
    "order {order} for {table}: {n} dish(es)": "주문 {order}, {table}: 요리 {n}개",
    "{dish} for {table} ready": "{table}의 {dish} 준비 완료",
    "{dish} for {table} expected ready in {s} s": "{table}의 {dish}, {s}초 후 준비 예정",
    "{robot} waits at {place} for {dish} for {table}, expected in {s} s":
        "{robot}, {place}에서 {table}의 {dish} 대기 ({s}초 후 준비 예정)",
    "{robot} leaves {place} after {s} s: {why}": "{robot}, {s}초 대기 후 {place} 출발: {why}",
    "{dish} came": "{dish} 준비됨",
    "{dish} no longer expected": "{dish} 더 이상 기다리지 않음",
    "{dish} not ready after {s} s": "{s}초가 지나도 {dish} 준비 안 됨",
    "another robot needs the pass": "다른 로봇이 픽업대를 써야 함",
    "it was stopped": "로봇이 멈춤",
    "{dish} on {robot} {tray}": "{dish}, {robot} {tray} 배정",
    "{dish} rides along on {robot} {tray} to {table}":
        "{dish}, {table}(으)로 가는 {robot} {tray}에 함께 배정",
    "{dish} loaded on {robot} {tray}": "{dish}, {robot} {tray}에 적재",
    "{dish} at {place}": "{dish}, {place} 도착",
    "{dish} served at {place}": "{dish}, {place} 서빙 완료",
    "nobody took {dish} at {place} within {s} s: {robot} comes back for the guest":
        "{place}에서 {s}초 안에 {dish} 수령 없음: {robot}이(가) 손님에게 다시 옴",
    "nobody took {dish} at {place} within {s} s: {robot} brings it back to {pass_name} "
    "to go out again":
        "{place}에서 {s}초 안에 {dish} 수령 없음: {robot}이(가) {pass_name}(으)로 "
        "가져가 다시 내보냄",
    "{dish} back at {place} to go out again": "{dish}, {place}에 돌아옴: 다시 내보냄",
    "nobody took it at {place} within {s} s": "{place}에서 {s}초 안에 수령 없음",
    "{reason} with the dish on its tray": "{reason} (요리를 실은 채)",
    "{robot} made no progress for {s} s with {n} dish(es) riding on it: {reason}":
        "{robot} {s}초째 멈춤, 요리 {n}개 싣고 있음: {reason}",
    "{robot} is moving again after {s} s stalled": "{robot} {s}초 멈춘 뒤 다시 움직임",
    "{robot} at {place}": "{robot} {place} 도착",
    "{robot} finished {trip}": "{robot} {trip} 완료",
    "{robot}: {kind} trip {stops} ({reason})": "{robot}: {kind} 운행 {stops} ({reason})",
    "{robot}: {kind} trip {stops}": "{robot}: {kind} 운행 {stops}",
    "{kind} {place}": "{place} {kind}",
    "{stops}, {stop}": "{stops}, {stop}",
    "load": "적재", "collect": "수거",
    "{trip} aborted: {reason}": "{trip} 중단: {reason}",
    "{trip} handed from {robot} to {other}, waiting at {place}":
        "{trip}: {robot}에서 {other}(으)로 넘김, {place}에서 대기",
    "order {order} cancelled: {reason}": "주문 {order} 취소: {reason}",
    "order {order} ({table}) now {priority} priority: {n} dish not yet loaded":
        "주문 {order} ({table}) 우선순위 {priority}: 아직 싣지 않은 요리 {n}개",
    "order {order} ({table}) now {priority} priority: {n} dishes not yet loaded":
        "주문 {order} ({table}) 우선순위 {priority}: 아직 싣지 않은 요리 {n}개",
    "high": "높음", "normal": "보통",
    "{n} dish(es) for {table} waiting at the pass for {min} min: {reason}":
        "{table}의 요리 {n}개, 픽업대에서 {min}분째 대기: {reason}",
    "its goal": "목표 지점",
    "{robot} cannot reach {where}: {reason} (trying again)":
        "{robot}이(가) {where}에 갈 수 없음: {reason} (다시 시도 중)",
    "{robot} is out of service with {n} dish(es) on its trays: {reason}":
        "{robot} 운행 불가, 트레이에 요리 {n}개: {reason}",
    "{robot}: {level} {error}": "{robot}: {level} {error}",
    "WARNING": "경고", "FATAL": "치명적 오류",
    "{robot} taken out of dispatch: {why}; resume it once fixed":
        "{robot} 배차에서 제외됨: {why}; 고친 뒤 재개하세요",
    "{robot} is online but cannot be placed on the floor: {reason}; the others carry on "
    "without it":
        "{robot} 온라인이지만 매장 위치를 알 수 없음: {reason}; 다른 로봇은 계속 운행",
    "{robot} is on map {reported}, not on its model's map {expected}":
        "{robot}의 지도는 {reported}: 모델의 지도 {expected}와 다름",
    "restart recovery done: every dish that was on a robot is accounted for":
        "재시작 복구 완료: 로봇에 있던 요리를 모두 확인함",
    "controller restarted: {orders} open order(s) taken back, {held} dish(es) held until "
    "their robots report":
        "컨트롤러 재시작: 진행 주문 {orders}개 복구, 요리 {held}개는 로봇이 보고할 때까지 보류",
    "{robot} did not stop its order from before the restart within {s} s; placed at the "
    "node it reports":
        "{robot}이(가) {s}초 안에 재시작 전 주문을 멈추지 않음; 보고한 노드에 배치함",
})

# -- why a robot was given a trip (fleet/dispatch, fleet/controller: makeway, manager) ---
KO.update({
    "charged; gives the charger to a robot that needs it":
        "충전 완료: 충전이 필요한 로봇에 충전기를 양보",
    "charged; waits at the pass": "충전 완료: 픽업대에서 대기",
    "idle on a charger: tops up": "충전기에서 쉬는 중: 마저 충전",
    "battery {battery} % below {low} %": "배터리 {battery}%, {low}% 미만",
    "a loading spot is free; waits at the pass": "적재 자리가 비어 픽업대에서 대기",
    "idle in an aisle; goes to {place}": "통로에서 쉬는 중: {place}(으)로 이동",
    "bussing {table}, nearest idle robot": "{table} 퇴식, 가장 가까운 쉬는 로봇",
    "{n} on its trays after its trip ended early; unloads at the nearest {station}":
        "운행이 일찍 끝나 트레이에 {n}개 남음: 가장 가까운 {station}에서 내림",
    "{n} dish(es) for {tables}; {robot} {where}, at the pass in {s} s":
        "{tables}의 요리 {n}개; {robot} {where}, {s}초 뒤 픽업대 도착",
    "waiting at the pass": "픽업대에서 대기 중", "nearest": "가장 가까움",
    "oldest dish, nearest idle robot {robot}": "가장 오래된 요리, 가장 가까운 쉬는 로봇 {robot}",
    "steps aside for {robot}": "{robot}에 길 비켜 줌",
    "no free home: waits on open floor": "빈 대기 장소 없음: 빈 바닥에서 대기",
    "sent to its dock": "도크로 보냄",
    "serves what it carried when the controller restarted":
        "컨트롤러 재시작 때 싣고 있던 요리를 서빙",
    "{robot} off duty at dock {dock} until resumed": "{robot} 재개할 때까지 도크 {dock}에서 쉼",
    "{dish} served at {table} while the controller was down":
        "{dish}, 컨트롤러가 멈춘 사이 {table}에서 서빙 완료",
    "{dish} still on {robot} {tray} after the restart":
        "{dish}, 재시작 뒤에도 {robot} {tray}에 있음",
})

# -- drawing a blocked area on the map (fleet/dashboard/drawing.py) ------------------
KO.update({
    "Draw": "그리기",
    "Draw a blocked area on the map (a spill)": "지도에 차단 구역 그리기 (쏟은 곳 등)",
    "No floor plan yet: wait for the controller": "아직 평면도가 없습니다: 컨트롤러를 기다리세요",
    "Corner": "모서리",
    "Draw a blocked area": "차단 구역 그리기",
    "Name the area and press Enter to block it (Escape cancels)":
        "구역 이름을 정하고 Enter를 누르면 차단됩니다 (Escape: 취소)",
    "Move to the other corner and press Enter (or let go of the mouse); Escape cancels":
        "반대쪽 모서리로 옮기고 Enter (또는 마우스 버튼을 놓기); Escape: 취소",
    "Arrow keys move the cursor (with shift: faster); Enter marks a corner, or drag with "
    "the mouse; Escape cancels":
        "화살표 키로 커서 이동 (Shift: 빠르게); Enter로 모서리 표시, 또는 마우스로 끌기; "
        "Escape: 취소",
})

# -- the command line: fleet map check/show, fleet config check, fleet report ---------
KO.update({
    "OK": "정상",
    "INVALID": "오류 있음",
    "error": "오류",
    "{errors} error(s), {warnings} warning(s)": "오류 {errors}건, 경고 {warnings}건",
    "{n} error(s)": "오류 {n}건",
    "cells a robot fits in": "로봇이 지날 수 있는 칸",
    "one-lane cells": "일차선 칸",
    "tables": "테이블",
    "table": "테이블",
    "zones": "구역",
    "charger": "충전기",
    "dish return": "퇴식구",
    "parking": "대기 장소",
    "host stand": "안내 데스크",
    "keep out": "진입 금지",
    "slow": "서행",
    "one way": "일방통행",
    "reachability": "도달 가능",
    "no table reachable from the pass": "픽업대에서 갈 수 있는 테이블 없음",
    "{n} of {all} tables reachable from the pass; farthest {m} m by grid":
        "테이블 {all}개 중 {n}개를 픽업대에서 갈 수 있음; 가장 먼 곳 격자 기준 {m} m",
    "radius {r} m": "반지름 {r} m",
    "{w} x {h} m, {cols} x {rows} cells of {res} m": "{w} x {h} m, {res} m 칸 {cols} x {rows}개",
    "{free} of {all} ({pct} %)": "{all}칸 중 {free}칸 ({pct}%)",
    "{n} (aisles narrower than two robots)": "{n}칸 (로봇 두 대보다 좁은 통로)",
    "{n} ({seats} seats; sizes {sizes})": "{n}개 (좌석 {seats}석; 크기 {sizes})",
    "picture written to {path}": "그림 저장: {path}",
    "site {site} ({name}), plan {plan} with {tables} tables, {robots} robots, broker "
    "{broker}, store {store}":
        "사이트 {site} ({name}), 평면도 {plan} 테이블 {tables}개, 로봇 {robots}대, "
        "브로커 {broker}, 저장소 {store}",
    "{robot}: {maker} {model}, {trays} trays, {transport}":
        "{robot}: {maker} {model}, 트레이 {trays}개, {transport}",
    "{line} on {port}": "{line} ({port})",
    "{robots} robots but only {homes} chargers and parking spots on {plan}: the others "
    "wait on the floor when idle; add parking spots out of the aisles":
        "로봇은 {robots}대인데 {plan}의 충전기와 대기 장소는 {homes}곳뿐입니다: 나머지는 "
        "쉴 때 홀에서 기다립니다; 통로 밖에 대기 장소를 추가하세요",
    "from {start} to {end} ({min} min); dishes counted by when they were ordered":
        "{start}부터 {end}까지 ({min}분); 요리는 주문 시각 기준으로 집계",
    "Dishes and waits (ready at the pass -> at the table, seconds)":
        "요리와 대기 시간 (픽업대 준비 -> 테이블 도착, 초)",
    "Per hour (dishes ordered in the hour; waits in seconds)":
        "시간대별 (그 시간에 주문된 요리; 대기 시간은 초)",
    "Per table (waits in seconds)": "테이블별 (대기 시간은 초)",
    "Per pass (waits in seconds)": "픽업대별 (대기 시간은 초)",
    "Per robot": "로봇별",
    "Late dishes (waited more than {late})": "늦은 요리 ({late} 넘게 대기)",
    "No late dishes (none waited more than {late}).":
        "늦은 요리 없음 ({late} 넘게 기다린 요리 없음).",
    "Failed and cancelled, by reason": "실패와 취소, 사유별",
    "on trips: time from trip start to end over the span, as the controller saw it. Metres "
    "driven are not in the store (fleet sim reports them).":
        "운행: 기간 중 운행 시작부터 끝까지의 시간 (컨트롤러 기준). 주행 거리는 저장소에 "
        "없습니다 (fleet sim이 보고합니다).",
    "ordered": "주문", "by staff": "직원 서빙", "open": "미완료", "max": "최대",
    "p50": "p50", "p95": "p95", "hour from": "시작 시각", "trips": "운행",
    "serving": "서빙", "aborted": "중단", "dishes served": "서빙한 요리",
    "dishes failed": "실패한 요리", "on trips": "운행 비율", "faults": "고장",
    "dish": "요리", "ready": "준비", "at table": "테이블 도착", "wait s": "대기(초)",
    "outcome": "결과", "reason": "사유", "dishes": "요리 수",
    "{n} CSV files written to {dir}": "CSV 파일 {n}개 저장: {dir}",
    "page written to {path}": "페이지 저장: {path}",
    "report written to {path}": "보고서 저장: {path}",
})
KO.update({
    "the PNG's fonts cannot write {names}: they show as ? or boxes; --svg writes the "
    "names as text":
        "PNG의 글꼴로는 {names}을(를) 쓸 수 없어 ? 또는 네모로 표시됩니다; --svg는 이름을 "
        "글자 그대로 씁니다",
})

# -- the manager's commands as the events log tells them (fleet/controller/floor_ops.py) --
KO.update({
    "{robot} paused by the manager": "관리자가 {robot} 일시정지",
    "{robot} back to work (off duty until now)": "{robot} 작업 복귀 (지금까지 운행 종료)",
    "{robot} back to work (paused until now)": "{robot} 작업 복귀 (지금까지 일시정지)",
    "all {n} robots stopped by the manager": "관리자가 로봇 {n}대 모두 정지",
    "{n} robots released": "로봇 {n}대 정지 해제",
    "{said}; {robots} still paused": "{said}; {robots}은(는) 계속 일시정지",
    "{said}: {reason}": "{said}: {reason}",
    "{table} blocked": "{table} 차단",
    "{said}; {robots} already on the way there finishes":
        "{said}; 이미 가는 중인 {robots}은(는) 마저 갑니다",
    "{said}; {robots} already on the way there finish":
        "{said}; 이미 가는 중인 {robots}은(는) 마저 갑니다",
    "{table} unblocked; {n} waiting dish go out": "{table} 차단 해제; 대기 중인 요리 {n}개 출발",
    "{table} unblocked; {n} waiting dishes go out":
        "{table} 차단 해제; 대기 중인 요리 {n}개 출발",
    "zone {zone} blocked ({n} cells)": "구역 {zone} 차단 ({n}칸)",
    "{said}; {robots} stop short of it and look for another way":
        "{said}; {robots}은(는) 앞에서 멈추고 다른 길을 찾습니다",
    "{said}; {robots} inside may leave": "{said}; 안에 있는 {robots}은(는) 나갈 수 있습니다",
    "zone {zone} open again": "구역 {zone} 다시 열림",
    # A robot's phases (fleet.controller.phase; offline, idle and charging are its
    # modes' words above) and the watchdog's words.
    "unplaced": "위치 미확인",
    "held": "멈춤(사람·로봇)",
    "stranded": "하차 불가",
    "settling": "다음 이동 준비",
    "driving": "주행 중",
    "yielding": "양보 중",
    "queued": "자리 대기",
    "no route": "경로 없음",
    "at stop": "정차 작업 중",
    "{robot} {phase} for {s} s (bound {bound} s): {reason}":
        "{robot} {phase} 상태 {s}초 (한도 {bound}초): {reason}",
    "{said}; its spots held by {robots}": "{said}; 자리를 차지한 로봇: {robots}",
    "{robot} ({phase})": "{robot} ({phase})",
    "{a}, {b}": "{a}, {b}",
    "{said}; sent to step aside somewhere it can reach":
        "{said}; 갈 수 있는 다른 곳으로 비켜 서게 함",
})
