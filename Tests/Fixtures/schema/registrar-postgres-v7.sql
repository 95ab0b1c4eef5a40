--
-- PostgreSQL database dump
--

\restrict 4TM4UoEhvilGXEzSCUMqZBGRsgneXZX0R5AgHu4NSeVA6yJAxd0b0UQBO2K0cwW


SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: account; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account (
    participant text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    created_at bigint NOT NULL,
    blocked_reason text,
    blocked_by text,
    blocked_at bigint,
    CONSTRAINT account_kind_check CHECK ((kind = ANY (ARRAY['producer'::text, 'importer'::text, 'wholesaler'::text, 'retailer'::text])))
);


--
-- Name: activation_batch; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_batch (
    id bigint NOT NULL,
    batch_id text NOT NULL,
    participant_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    body_hash bytea NOT NULL,
    item_count integer NOT NULL,
    received_at bigint NOT NULL,
    results bytea NOT NULL,
    actor_bin text
);


--
-- Name: activation_batch_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.activation_batch_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: activation_batch_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.activation_batch_id_seq OWNED BY public.activation_batch.id;


--
-- Name: activation_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activation_sequence (
    id integer NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT activation_sequence_id_check CHECK ((id = 1))
);


--
-- Name: aggregation_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.aggregation_event (
    id bigint NOT NULL,
    event_id text NOT NULL,
    participant_bin text NOT NULL,
    digest bytea NOT NULL,
    received_at bigint NOT NULL,
    result text NOT NULL,
    actor_bin text
);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.aggregation_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.aggregation_event_id_seq OWNED BY public.aggregation_event.id;


--
-- Name: api_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_token (
    id text NOT NULL,
    hash bytea NOT NULL,
    participant_bin text NOT NULL,
    role text NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint,
    revoked_at bigint,
    CONSTRAINT api_token_role_check CHECK ((role = ANY (ARRAY['producer'::text, 'importer'::text, 'banknote-factory'::text, 'revenue-body'::text, 'registrar'::text, 'wholesaler'::text, 'retailer'::text])))
);


--
-- Name: application; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.application (
    id bigint NOT NULL,
    applicant text NOT NULL,
    number text NOT NULL,
    date text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    quantity integer NOT NULL,
    product_name text NOT NULL,
    status text NOT NULL,
    submitted_at bigint NOT NULL,
    decision_due bigint NOT NULL,
    decided_at bigint,
    decided_by text,
    grounds text,
    comment text,
    issued integer DEFAULT 0 NOT NULL,
    document_id bigint NOT NULL,
    actor text NOT NULL,
    CONSTRAINT application_kind_check CHECK ((kind = ANY (ARRAY['domestic'::text, 'import'::text]))),
    CONSTRAINT application_quantity_check CHECK ((quantity > 0)),
    CONSTRAINT application_status_check CHECK ((status = ANY (ARRAY['submitted'::text, 'approved'::text, 'refused'::text])))
);


--
-- Name: application_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.application_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: application_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.application_id_seq OWNED BY public.application.id;


--
-- Name: code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code (
    id bigint NOT NULL,
    code text NOT NULL,
    series text NOT NULL,
    number bigint NOT NULL,
    owner_bin text NOT NULL,
    waybill_id bigint NOT NULL,
    status text NOT NULL,
    product_code text,
    activated_at bigint,
    activation_batch bigint,
    written_off_at bigint,
    write_off_reason text,
    activation_seq bigint,
    written_off_by text,
    holder_bin text,
    pending_order bigint,
    CONSTRAINT code_status_check CHECK ((status = ANY (ARRAY['issued'::text, 'activated'::text, 'writtenOff'::text])))
);


--
-- Name: code_case; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.code_case (
    code_id bigint NOT NULL,
    unit_id bigint NOT NULL
);


--
-- Name: code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.code_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.code_id_seq OWNED BY public.code.id;


--
-- Name: monthly_counter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.monthly_counter (
    participant_bin text NOT NULL,
    month text NOT NULL,
    received bigint DEFAULT 0 NOT NULL,
    activated bigint DEFAULT 0 NOT NULL,
    written_off bigint DEFAULT 0 NOT NULL
);


--
-- Name: operation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.operation (
    id bigint NOT NULL,
    participant text NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    at bigint NOT NULL,
    reference text,
    count integer,
    detail text,
    document_id bigint
);


--
-- Name: operation_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.operation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: operation_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.operation_id_seq OWNED BY public.operation.id;


--
-- Name: order_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.order_code (
    order_seq bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    code_id bigint NOT NULL
);


--
-- Name: report_submission; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.report_submission (
    id text NOT NULL,
    participant text NOT NULL,
    form text NOT NULL,
    month text NOT NULL,
    result text NOT NULL,
    differences text NOT NULL,
    received_at bigint NOT NULL,
    document_id bigint NOT NULL,
    actor text NOT NULL
);


--
-- Name: schema_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migration (
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: signed_document; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signed_document (
    id bigint NOT NULL,
    kind text NOT NULL,
    participant text NOT NULL,
    canonical bytea NOT NULL,
    signature bytea NOT NULL,
    digest text NOT NULL,
    subject text NOT NULL,
    iin text,
    bin text,
    certificate_serial text NOT NULL,
    signing_time bigint,
    received_at bigint NOT NULL
);


--
-- Name: signed_document_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.signed_document_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: signed_document_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.signed_document_id_seq OWNED BY public.signed_document.id;


--
-- Name: trade_order; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.trade_order (
    seq bigint NOT NULL,
    id text NOT NULL,
    number text NOT NULL,
    seller text NOT NULL,
    buyer text NOT NULL,
    status text NOT NULL,
    saved_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    signed_at bigint,
    cancelled_at bigint,
    cancel_reason text,
    expired_at bigint,
    code_count integer NOT NULL,
    units text NOT NULL,
    volume text NOT NULL,
    price text NOT NULL,
    note text,
    seller_document bigint NOT NULL,
    buyer_document bigint,
    actor text NOT NULL,
    buyer_actor text,
    CONSTRAINT trade_order_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'signed'::text, 'cancelled'::text, 'expired'::text])))
);


--
-- Name: trade_order_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.trade_order_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: trade_order_seq_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.trade_order_seq_seq OWNED BY public.trade_order.seq;


--
-- Name: unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit (
    id bigint NOT NULL,
    code text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL,
    owner_bin text NOT NULL,
    line_id text NOT NULL,
    equipment_id text NOT NULL,
    packed_at bigint NOT NULL,
    packed_event text NOT NULL,
    dissolved_at bigint,
    dissolved_event text,
    pallet_id bigint,
    content_count integer NOT NULL,
    CONSTRAINT unit_kind_check CHECK ((kind = ANY (ARRAY['case'::text, 'pallet'::text])))
);


--
-- Name: unit_content; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit_content (
    unit_id bigint NOT NULL,
    content text NOT NULL COLLATE pg_catalog."C",
    "position" integer NOT NULL
);


--
-- Name: unit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unit_id_seq OWNED BY public.unit.id;


--
-- Name: waybill; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill (
    id bigint NOT NULL,
    number text NOT NULL,
    body_hash bytea NOT NULL,
    date text NOT NULL,
    issued_on text NOT NULL,
    month text NOT NULL,
    application_number text NOT NULL,
    application_date text NOT NULL,
    recipient_bin text NOT NULL,
    recipient_name text NOT NULL,
    product_name text NOT NULL,
    product_type text NOT NULL,
    capacity_ml integer NOT NULL,
    quantity integer NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT waybill_quantity_check CHECK ((quantity > 0))
);


--
-- Name: waybill_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.waybill_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: waybill_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.waybill_id_seq OWNED BY public.waybill.id;


--
-- Name: waybill_range; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.waybill_range (
    waybill_id bigint NOT NULL,
    series text NOT NULL,
    first bigint NOT NULL,
    last bigint NOT NULL,
    CONSTRAINT waybill_range_check CHECK ((last >= first))
);


--
-- Name: activation_batch id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch ALTER COLUMN id SET DEFAULT nextval('public.activation_batch_id_seq'::regclass);


--
-- Name: aggregation_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event ALTER COLUMN id SET DEFAULT nextval('public.aggregation_event_id_seq'::regclass);


--
-- Name: application id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application ALTER COLUMN id SET DEFAULT nextval('public.application_id_seq'::regclass);


--
-- Name: code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code ALTER COLUMN id SET DEFAULT nextval('public.code_id_seq'::regclass);


--
-- Name: operation id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation ALTER COLUMN id SET DEFAULT nextval('public.operation_id_seq'::regclass);


--
-- Name: signed_document id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signed_document ALTER COLUMN id SET DEFAULT nextval('public.signed_document_id_seq'::regclass);


--
-- Name: trade_order seq; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order ALTER COLUMN seq SET DEFAULT nextval('public.trade_order_seq_seq'::regclass);


--
-- Name: unit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit ALTER COLUMN id SET DEFAULT nextval('public.unit_id_seq'::regclass);


--
-- Name: waybill id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill ALTER COLUMN id SET DEFAULT nextval('public.waybill_id_seq'::regclass);


--
-- Data for Name: account; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.account (participant, name, kind, created_at, blocked_reason, blocked_by, blocked_at) FROM stdin;
970101123452	970101123452	producer	1796397417567	\N	\N	\N
980202543215	980202543215	producer	1796397417712	\N	\N	\N
\.


--
-- Data for Name: activation_batch; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_batch (id, batch_id, participant_bin, line_id, equipment_id, body_hash, item_count, received_at, results, actor_bin) FROM stdin;
1	5c0f0a1e-0000-4000-8000-000000000001	970101123452	line-1	cam-1	\\xd8bdfa8134020f558d4cbe21b4e537e6bfb4875fc79a2ead1107507d34553068	30	1796397419032	\\x011e000000001500515a413030303030303030303030303030303030310110693341a2010000001500515a4130303030303030303030303030303030303201f86c3341a2010000001500515a4130303030303030303030303030303030303301e0703341a2010000001500515a4130303030303030303030303030303030303401c8743341a2010000001500515a4130303030303030303030303030303030303501b0783341a2010000001500515a4130303030303030303030303030303030303601987c3341a2010000001500515a413030303030303030303030303030303030370180803341a2010000001500515a413030303030303030303030303030303030380168843341a2010000001500515a413030303030303030303030303030303030390150883341a2010000001500515a4130303030303030303030303030303030313001388c3341a2010000001500515a413030303030303030303030303030303031310120903341a2010000001500515a413030303030303030303030303030303031320108943341a2010000001500515a4130303030303030303030303030303030313301f0973341a2010000001500515a4130303030303030303030303030303030313401d89b3341a2010000001500515a4130303030303030303030303030303030313501c09f3341a2010000001500515a4130303030303030303030303030303030313601a8a33341a2010000001500515a413030303030303030303030303030303031370190a73341a2010000001500515a413030303030303030303030303030303031380178ab3341a2010000001500515a413030303030303030303030303030303031390160af3341a2010000001500515a413030303030303030303030303030303032300148b33341a2010000001500515a413030303030303030303030303030303032310130b73341a2010000001500515a413030303030303030303030303030303032320118bb3341a2010000001500515a413030303030303030303030303030303032330100bf3341a2010000001500515a4130303030303030303030303030303030323401e8c23341a2010000001500515a4130303030303030303030303030303030323501d0c63341a2010000001500515a4130303030303030303030303030303030323601b8ca3341a2010000001500515a4130303030303030303030303030303030323701a0ce3341a2010000001500515a413030303030303030303030303030303032380188d23341a2010000001500515a413030303030303030303030303030303032390170d63341a2010000001500515a413030303030303030303030303030303033300158da3341a2010000	970101123452
2	5c0f0a1e-0000-4000-8000-000000000002	970101123452	line-1	cam-1	\\x6707cf6d00a2816edcb277cfb8fe40e40c48a37999c4aa440b2b7ec012c88321	10	1796397419073	\\x010a000000001500515a413030303030303030303030303030303033310190576a41a2010000001500515a4130303030303030303030303030303030333201785b6a41a2010000001500515a4130303030303030303030303030303030333301605f6a41a2010000001500515a413030303030303030303030303030303033340148636a41a2010000001500515a413030303030303030303030303030303033350130676a41a2010000001500515a4130303030303030303030303030303030333601186b6a41a2010000001500515a4130303030303030303030303030303030333701006f6a41a2010000001500515a4130303030303030303030303030303030333801e8726a41a2010000001500515a4130303030303030303030303030303030333901d0766a41a2010000001500515a4130303030303030303030303030303030343001b87a6a41a2010000	970101123452
3	5c0f0a1e-0000-4000-8000-000000000003	980202543215	line-1	cam-1	\\x071d7175fe4d2d5c7c4a07ca3abee0c9a21c3df77ecf0876e85427928e729f6c	4	1796397419103	\\x0104000000001500515a4230303030303030303030303030303030303101d0ce8541a2010000001500515a4230303030303030303030303030303030303201b8d28541a2010000001500515a4230303030303030303030303030303030303301a0d68541a2010000001500515a423030303030303030303030303030303030340188da8541a2010000	980202543215
\.


--
-- Data for Name: activation_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.activation_sequence (id, last) FROM stdin;
1	44
\.


--
-- Data for Name: aggregation_event; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.aggregation_event (id, event_id, participant_bin, digest, received_at, result, actor_bin) FROM stdin;
1	6f1c2d3e-0000-4c6d-8e7f-000000000001	970101123452	\\x63c71d3c2d959ab8eec599c19e3a611a00e244b49a5642608b2e27a691e7232b	1796397419148	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000001","result":"applied","unit":"048700010000000011"}	970101123452
2	6f1c2d3e-0000-4c6d-8e7f-000000000002	970101123452	\\x1f5ff1a61dc9f274f361dfcffdf87dbf95aa847924bd4b7970a0f7e08564daf5	1796397419148	{"eventId":"6F1C2D3E-0000-4C6D-8E7F-000000000002","result":"applied","unit":"048700010000001001"}	970101123452
\.


--
-- Data for Name: api_token; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.api_token (id, hash, participant_bin, role, created_at, expires_at, revoked_at) FROM stdin;
7671bfaa	\\xe06d6d9dd0e544804c95375434faf1ee95e8ff75962e78e4a0d649b13ba90b52	990303000012	banknote-factory	1796397417439	\N	\N
ff3ff643	\\xf3d350dec4080343d53880e5fc84d978a4340d25c783f6f5a992d14f4924e553	970101123452	producer	1796397417567	\N	\N
7edd44bf	\\x66525b9ee27ba5b2bc340dee192b15527c73cf381957bf27f71000d769e5c541	980202543215	producer	1796397417712	\N	\N
6e9750ca	\\xbd527c664f1c165f482c5d4648eeadcd51049b08dd679f909f3c64d8d9ae4ee9	990404000021	revenue-body	1796397417857	\N	\N
0e65d3c7	\\xf5fce19dfd2679be41c0d7069b86872df8b2c9c70a207810814504fbe910ad1d	990404000021	registrar	1796397417967	\N	\N
\.


--
-- Data for Name: application; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.application (id, applicant, number, date, kind, name, quantity, product_name, status, submitted_at, decision_due, decided_at, decided_by, grounds, comment, issued, document_id, actor) FROM stdin;
\.


--
-- Data for Name: code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code (id, code, series, number, owner_bin, waybill_id, status, product_code, activated_at, activation_batch, written_off_at, write_off_reason, activation_seq, written_off_by, holder_bin, pending_order) FROM stdin;
43	QZA000000000000000043	AB	43	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
44	QZA000000000000000044	AB	44	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
45	QZA000000000000000045	AB	45	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
46	QZA000000000000000046	AB	46	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
47	QZA000000000000000047	AB	47	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
48	QZA000000000000000048	AB	48	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
49	QZA000000000000000049	AB	49	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
50	QZA000000000000000050	AB	50	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
51	QZA000000000000000051	AB	51	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
52	QZA000000000000000052	AB	52	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
53	QZA000000000000000053	AB	53	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
54	QZA000000000000000054	AB	54	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
55	QZA000000000000000055	AB	55	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
56	QZA000000000000000056	AB	56	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
57	QZA000000000000000057	AB	57	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
58	QZA000000000000000058	AB	58	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
59	QZA000000000000000059	AB	59	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
60	QZA000000000000000060	AB	60	970101123452	1	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
65	QZB000000000000000005	AC	5	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
66	QZB000000000000000006	AC	6	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
67	QZB000000000000000007	AC	7	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
68	QZB000000000000000008	AC	8	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
69	QZB000000000000000009	AC	9	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
70	QZB000000000000000010	AC	10	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
31	QZA000000000000000031	AB	31	970101123452	1	activated	DSN-0001	1796393818000	2	\N	\N	31	\N	\N	\N
32	QZA000000000000000032	AB	32	970101123452	1	activated	DSN-0001	1796393819000	2	\N	\N	32	\N	\N	\N
33	QZA000000000000000033	AB	33	970101123452	1	activated	DSN-0001	1796393820000	2	\N	\N	33	\N	\N	\N
34	QZA000000000000000034	AB	34	970101123452	1	activated	DSN-0001	1796393821000	2	\N	\N	34	\N	\N	\N
35	QZA000000000000000035	AB	35	970101123452	1	activated	DSN-0001	1796393822000	2	\N	\N	35	\N	\N	\N
36	QZA000000000000000036	AB	36	970101123452	1	activated	DSN-0001	1796393823000	2	\N	\N	36	\N	\N	\N
37	QZA000000000000000037	AB	37	970101123452	1	activated	DSN-0001	1796393824000	2	\N	\N	37	\N	\N	\N
38	QZA000000000000000038	AB	38	970101123452	1	activated	DSN-0001	1796393825000	2	\N	\N	38	\N	\N	\N
39	QZA000000000000000039	AB	39	970101123452	1	activated	DSN-0001	1796393826000	2	\N	\N	39	\N	\N	\N
40	QZA000000000000000040	AB	40	970101123452	1	activated	DSN-0001	1796393827000	2	\N	\N	40	\N	\N	\N
61	QZB000000000000000001	AC	1	980202543215	2	activated	DSN-0001	1796395618000	3	\N	\N	41	\N	\N	\N
62	QZB000000000000000002	AC	2	980202543215	2	activated	DSN-0001	1796395619000	3	\N	\N	42	\N	\N	\N
63	QZB000000000000000003	AC	3	980202543215	2	activated	DSN-0001	1796395620000	3	\N	\N	43	\N	\N	\N
64	QZB000000000000000004	AC	4	980202543215	2	activated	DSN-0001	1796395621000	3	\N	\N	44	\N	\N	\N
41	QZA000000000000000041	AB	41	970101123452	1	writtenOff	\N	\N	\N	1796396818000	damaged	\N	970101123452	\N	\N
42	QZA000000000000000042	AB	42	970101123452	1	writtenOff	\N	\N	\N	1796396818000	damaged	\N	970101123452	\N	\N
71	QZB000000000000000011	AC	11	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
72	QZB000000000000000012	AC	12	980202543215	2	issued	\N	\N	\N	\N	\N	\N	\N	\N	\N
1	QZA000000000000000001	AB	1	970101123452	1	activated	DSN-0001	1796390218000	1	\N	\N	1	\N	\N	\N
2	QZA000000000000000002	AB	2	970101123452	1	activated	DSN-0001	1796390219000	1	\N	\N	2	\N	\N	\N
3	QZA000000000000000003	AB	3	970101123452	1	activated	DSN-0001	1796390220000	1	\N	\N	3	\N	\N	\N
4	QZA000000000000000004	AB	4	970101123452	1	activated	DSN-0001	1796390221000	1	\N	\N	4	\N	\N	\N
5	QZA000000000000000005	AB	5	970101123452	1	activated	DSN-0001	1796390222000	1	\N	\N	5	\N	\N	\N
6	QZA000000000000000006	AB	6	970101123452	1	activated	DSN-0001	1796390223000	1	\N	\N	6	\N	\N	\N
7	QZA000000000000000007	AB	7	970101123452	1	activated	DSN-0001	1796390224000	1	\N	\N	7	\N	\N	\N
8	QZA000000000000000008	AB	8	970101123452	1	activated	DSN-0001	1796390225000	1	\N	\N	8	\N	\N	\N
9	QZA000000000000000009	AB	9	970101123452	1	activated	DSN-0001	1796390226000	1	\N	\N	9	\N	\N	\N
10	QZA000000000000000010	AB	10	970101123452	1	activated	DSN-0001	1796390227000	1	\N	\N	10	\N	\N	\N
11	QZA000000000000000011	AB	11	970101123452	1	activated	DSN-0001	1796390228000	1	\N	\N	11	\N	\N	\N
12	QZA000000000000000012	AB	12	970101123452	1	activated	DSN-0001	1796390229000	1	\N	\N	12	\N	\N	\N
13	QZA000000000000000013	AB	13	970101123452	1	activated	DSN-0001	1796390230000	1	\N	\N	13	\N	\N	\N
14	QZA000000000000000014	AB	14	970101123452	1	activated	DSN-0001	1796390231000	1	\N	\N	14	\N	\N	\N
15	QZA000000000000000015	AB	15	970101123452	1	activated	DSN-0001	1796390232000	1	\N	\N	15	\N	\N	\N
16	QZA000000000000000016	AB	16	970101123452	1	activated	DSN-0001	1796390233000	1	\N	\N	16	\N	\N	\N
17	QZA000000000000000017	AB	17	970101123452	1	activated	DSN-0001	1796390234000	1	\N	\N	17	\N	\N	\N
18	QZA000000000000000018	AB	18	970101123452	1	activated	DSN-0001	1796390235000	1	\N	\N	18	\N	\N	\N
19	QZA000000000000000019	AB	19	970101123452	1	activated	DSN-0001	1796390236000	1	\N	\N	19	\N	\N	\N
20	QZA000000000000000020	AB	20	970101123452	1	activated	DSN-0001	1796390237000	1	\N	\N	20	\N	\N	\N
21	QZA000000000000000021	AB	21	970101123452	1	activated	DSN-0001	1796390238000	1	\N	\N	21	\N	\N	\N
22	QZA000000000000000022	AB	22	970101123452	1	activated	DSN-0001	1796390239000	1	\N	\N	22	\N	\N	\N
23	QZA000000000000000023	AB	23	970101123452	1	activated	DSN-0001	1796390240000	1	\N	\N	23	\N	\N	\N
24	QZA000000000000000024	AB	24	970101123452	1	activated	DSN-0001	1796390241000	1	\N	\N	24	\N	\N	\N
25	QZA000000000000000025	AB	25	970101123452	1	activated	DSN-0001	1796390242000	1	\N	\N	25	\N	\N	\N
26	QZA000000000000000026	AB	26	970101123452	1	activated	DSN-0001	1796390243000	1	\N	\N	26	\N	\N	\N
27	QZA000000000000000027	AB	27	970101123452	1	activated	DSN-0001	1796390244000	1	\N	\N	27	\N	\N	\N
28	QZA000000000000000028	AB	28	970101123452	1	activated	DSN-0001	1796390245000	1	\N	\N	28	\N	\N	\N
29	QZA000000000000000029	AB	29	970101123452	1	activated	DSN-0001	1796390246000	1	\N	\N	29	\N	\N	\N
30	QZA000000000000000030	AB	30	970101123452	1	activated	DSN-0001	1796390247000	1	\N	\N	30	\N	\N	\N
\.


--
-- Data for Name: code_case; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.code_case (code_id, unit_id) FROM stdin;
1	1
2	1
3	1
4	1
5	1
6	1
7	1
8	1
9	1
10	1
11	1
12	1
\.


--
-- Data for Name: monthly_counter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.monthly_counter (participant_bin, month, received, activated, written_off) FROM stdin;
980202543215	2026-12	12	4	0
970101123452	2026-12	60	40	2
\.


--
-- Data for Name: operation; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.operation (id, participant, actor, kind, at, reference, count, detail, document_id) FROM stdin;
1	970101123452	970101123452	accountCreated	1796397417567	\N	\N	producer: 970101123452	\N
2	980202543215	980202543215	accountCreated	1796397417712	\N	\N	producer: 980202543215	\N
3	970101123452	990303000012	codesIssued	1796397418965	WB-FIX-1	60	application APP-WB-FIX-1 of 2026-12-04	\N
4	980202543215	990303000012	codesIssued	1796397419003	WB-FIX-2	12	application APP-WB-FIX-2 of 2026-12-04	\N
5	970101123452	970101123452	activated	1796397419032	5c0f0a1e-0000-4000-8000-000000000001	30	line line-1, cam-1	\N
6	970101123452	970101123452	activated	1796397419073	5c0f0a1e-0000-4000-8000-000000000002	10	line line-1, cam-1	\N
7	980202543215	980202543215	activated	1796397419103	5c0f0a1e-0000-4000-8000-000000000003	4	line line-1, cam-1	\N
8	970101123452	970101123452	writtenOff	1796397419138	\N	2	damaged (dated 2026-12-04T20:06:58+05:00)	\N
\.


--
-- Data for Name: order_code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.order_code (order_seq, code, code_id) FROM stdin;
\.


--
-- Data for Name: report_submission; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.report_submission (id, participant, form, month, result, differences, received_at, document_id, actor) FROM stdin;
\.


--
-- Data for Name: schema_migration; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.schema_migration (name, applied_at) FROM stdin;
v1-registrar	1796397417194
v2-reports	1796397417198
v3-activation-stream	1796397417222
v4-activation-time	1796397417226
v5-aggregation	1796397417279
v6-actor	1796397417287
v7-trade	1796397417434
\.


--
-- Data for Name: signed_document; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.signed_document (id, kind, participant, canonical, signature, digest, subject, iin, bin, certificate_serial, signing_time, received_at) FROM stdin;
\.


--
-- Data for Name: trade_order; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.trade_order (seq, id, number, seller, buyer, status, saved_at, expires_at, signed_at, cancelled_at, cancel_reason, expired_at, code_count, units, volume, price, note, seller_document, buyer_document, actor, buyer_actor) FROM stdin;
\.


--
-- Data for Name: unit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit (id, code, kind, owner_bin, line_id, equipment_id, packed_at, packed_event, dissolved_at, dissolved_event, pallet_id, content_count) FROM stdin;
2	048700010000001001	pallet	970101123452	line-1	case-packer-1	1796396278000	6f1c2d3e-0000-4c6d-8e7f-000000000002	\N	\N	\N	1
1	048700010000000011	case	970101123452	line-1	case-packer-1	1796396218000	6f1c2d3e-0000-4c6d-8e7f-000000000001	\N	\N	2	12
\.


--
-- Data for Name: unit_content; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit_content (unit_id, content, "position") FROM stdin;
1	QZA000000000000000001	0
1	QZA000000000000000002	1
1	QZA000000000000000003	2
1	QZA000000000000000004	3
1	QZA000000000000000005	4
1	QZA000000000000000006	5
1	QZA000000000000000007	6
1	QZA000000000000000008	7
1	QZA000000000000000009	8
1	QZA000000000000000010	9
1	QZA000000000000000011	10
1	QZA000000000000000012	11
2	048700010000000011	0
\.


--
-- Data for Name: waybill; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill (id, number, body_hash, date, issued_on, month, application_number, application_date, recipient_bin, recipient_name, product_name, product_type, capacity_ml, quantity, recorded_at) FROM stdin;
1	WB-FIX-1	\\x2328fdf35cf8e4e7367e0a4fb745a71fc0d4b154afc00b33f59579ef1ce893f5	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-1	2026-12-04	970101123452	Fixture Distillery LLP	Vodka Fixture	vodka	500	60	1796397418965
2	WB-FIX-2	\\x009452f1c2afc55156bc7f97a16481ce2be46661f8658a36df8ecb1009900f39	2026-12-04	2026-12-04	2026-12	APP-WB-FIX-2	2026-12-04	980202543215	Fixture Distillery LLP	Vodka Fixture	vodka	500	12	1796397419003
\.


--
-- Data for Name: waybill_range; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.waybill_range (waybill_id, series, first, last) FROM stdin;
1	AB	1	60
2	AC	1	12
\.


--
-- Name: activation_batch_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.activation_batch_id_seq', 3, true);


--
-- Name: aggregation_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.aggregation_event_id_seq', 2, true);


--
-- Name: application_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.application_id_seq', 1, false);


--
-- Name: code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.code_id_seq', 72, true);


--
-- Name: operation_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.operation_id_seq', 8, true);


--
-- Name: signed_document_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.signed_document_id_seq', 1, false);


--
-- Name: trade_order_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.trade_order_seq_seq', 1, false);


--
-- Name: unit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unit_id_seq', 2, true);


--
-- Name: waybill_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.waybill_id_seq', 2, true);


--
-- Name: account account_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (participant);


--
-- Name: activation_batch activation_batch_batch_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_batch_id_key UNIQUE (batch_id);


--
-- Name: activation_batch activation_batch_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_batch
    ADD CONSTRAINT activation_batch_pkey PRIMARY KEY (id);


--
-- Name: activation_sequence activation_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activation_sequence
    ADD CONSTRAINT activation_sequence_pkey PRIMARY KEY (id);


--
-- Name: aggregation_event aggregation_event_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_event_id_key UNIQUE (event_id);


--
-- Name: aggregation_event aggregation_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.aggregation_event
    ADD CONSTRAINT aggregation_event_pkey PRIMARY KEY (id);


--
-- Name: api_token api_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_hash_key UNIQUE (hash);


--
-- Name: api_token api_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);


--
-- Name: application application_applicant_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_applicant_number_key UNIQUE (applicant, number);


--
-- Name: application application_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_pkey PRIMARY KEY (id);


--
-- Name: code_case code_case_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_pkey PRIMARY KEY (code_id);


--
-- Name: code code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_code_key UNIQUE (code);


--
-- Name: code code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_pkey PRIMARY KEY (id);


--
-- Name: code code_series_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_series_number_key UNIQUE (series, number);


--
-- Name: monthly_counter monthly_counter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.monthly_counter
    ADD CONSTRAINT monthly_counter_pkey PRIMARY KEY (participant_bin, month);


--
-- Name: operation operation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation
    ADD CONSTRAINT operation_pkey PRIMARY KEY (id);


--
-- Name: order_code order_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_pkey PRIMARY KEY (order_seq, code);


--
-- Name: report_submission report_submission_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_submission
    ADD CONSTRAINT report_submission_pkey PRIMARY KEY (id);


--
-- Name: schema_migration schema_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (name);


--
-- Name: signed_document signed_document_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signed_document
    ADD CONSTRAINT signed_document_pkey PRIMARY KEY (id);


--
-- Name: trade_order trade_order_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_id_key UNIQUE (id);


--
-- Name: trade_order trade_order_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_pkey PRIMARY KEY (seq);


--
-- Name: trade_order trade_order_seller_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_seller_number_key UNIQUE (seller, number);


--
-- Name: unit_content unit_content_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_pkey PRIMARY KEY (unit_id, content);


--
-- Name: unit unit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pkey PRIMARY KEY (id);


--
-- Name: waybill waybill_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_number_key UNIQUE (number);


--
-- Name: waybill waybill_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill
    ADD CONSTRAINT waybill_pkey PRIMARY KEY (id);


--
-- Name: application_undecided; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX application_undecided ON public.application USING btree (decision_due) WHERE (status = 'submitted'::text);


--
-- Name: code_activated_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_activated_at ON public.code USING btree (activated_at, owner_bin) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX code_activation_seq ON public.code USING btree (activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_case_unit; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_case_unit ON public.code_case USING btree (unit_id);


--
-- Name: code_holder; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_holder ON public.code USING btree (holder_bin, status) WHERE (holder_bin IS NOT NULL);


--
-- Name: code_owner_activation_seq; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_owner_activation_seq ON public.code USING btree (owner_bin, activation_seq) WHERE (activation_seq IS NOT NULL);


--
-- Name: code_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pending ON public.code USING btree (pending_order) WHERE (pending_order IS NOT NULL);


--
-- Name: code_pool; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX code_pool ON public.code USING btree (owner_bin, status, code COLLATE "C");


--
-- Name: operation_participant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operation_participant ON public.operation USING btree (participant, id);


--
-- Name: operation_reference; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operation_reference ON public.operation USING btree (participant, kind, reference);


--
-- Name: order_code_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX order_code_code ON public.order_code USING btree (code_id, order_seq);


--
-- Name: trade_order_buyer; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_buyer ON public.trade_order USING btree (buyer, seq);


--
-- Name: trade_order_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_pending ON public.trade_order USING btree (expires_at) WHERE (status = 'pending'::text);


--
-- Name: trade_order_seller; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX trade_order_seller ON public.trade_order USING btree (seller, seq);


--
-- Name: unit_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_code ON public.unit USING btree (code, id);


--
-- Name: unit_packed; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX unit_packed ON public.unit USING btree (code) WHERE (dissolved_at IS NULL);


--
-- Name: unit_pallet; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_pallet ON public.unit USING btree (pallet_id) WHERE (pallet_id IS NOT NULL);


--
-- Name: waybill_recipient; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX waybill_recipient ON public.waybill USING btree (recipient_bin, id);


--
-- Name: application application_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.application
    ADD CONSTRAINT application_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: code code_activation_batch_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_activation_batch_fkey FOREIGN KEY (activation_batch) REFERENCES public.activation_batch(id);


--
-- Name: code_case code_case_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: code_case code_case_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code_case
    ADD CONSTRAINT code_case_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: code code_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.code
    ADD CONSTRAINT code_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- Name: operation operation_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operation
    ADD CONSTRAINT operation_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: order_code order_code_code_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_code_id_fkey FOREIGN KEY (code_id) REFERENCES public.code(id);


--
-- Name: order_code order_code_order_seq_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.order_code
    ADD CONSTRAINT order_code_order_seq_fkey FOREIGN KEY (order_seq) REFERENCES public.trade_order(seq);


--
-- Name: report_submission report_submission_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.report_submission
    ADD CONSTRAINT report_submission_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.signed_document(id);


--
-- Name: trade_order trade_order_buyer_document_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_buyer_document_fkey FOREIGN KEY (buyer_document) REFERENCES public.signed_document(id);


--
-- Name: trade_order trade_order_seller_document_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.trade_order
    ADD CONSTRAINT trade_order_seller_document_fkey FOREIGN KEY (seller_document) REFERENCES public.signed_document(id);


--
-- Name: unit_content unit_content_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_content
    ADD CONSTRAINT unit_content_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: unit unit_pallet_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pallet_id_fkey FOREIGN KEY (pallet_id) REFERENCES public.unit(id);


--
-- Name: waybill_range waybill_range_waybill_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.waybill_range
    ADD CONSTRAINT waybill_range_waybill_id_fkey FOREIGN KEY (waybill_id) REFERENCES public.waybill(id);


--
-- PostgreSQL database dump complete
--

\unrestrict 4TM4UoEhvilGXEzSCUMqZBGRsgneXZX0R5AgHu4NSeVA6yJAxd0b0UQBO2K0cwW

